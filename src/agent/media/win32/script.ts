// The Windows PowerShell 5.1 scripts of the media watcher (../../../../shared/notes/platforms.md
// §2.1, §4). Like the inventory script they are constants sent as -EncodedCommand: nothing from a
// device, the user or the machine is spliced into their text. The one variable input, the device
// to eject, travels in an environment variable (data, never parsed as code) after the agent has
// checked it against a strict pattern, and the script checks it again.

/** The first token of the list script's only output line. */
export const MEDIA_LINE = 'media=';
/** The first token of the eject script's only output line. */
export const EJECT_LINE = 'eject=';
/** The environment variable that carries the device instance id to the eject script. */
export const EJECT_ENV = 'MAMORI_EJECT_INSTANCE_ID';

const PRELUDE = [
  "$ErrorActionPreference='Stop'",
  "$ProgressPreference='SilentlyContinue'",
  'try{$u=New-Object Text.UTF8Encoding $false;[Console]::OutputEncoding=$u;$OutputEncoding=$u}catch{}',
  // Arrays as arrays in ConvertTo-Json (PowerShell/PowerShell#3222).
  'try{Remove-TypeData System.Array -ErrorAction SilentlyContinue}catch{}',
];

// Get-Disk (MSFT_Disk) classifies by bus (BusType 7 = USB, 12 = SD, 13 = MMC, 4 = 1394); USB hard
// disks report DriveType Fixed, so the drive type is never used. The Storage module's type data
// turns BusType into a name, so both the name and the raw CIM number are printed. Std users may be
// refused MSFT_* classes: then Win32_DiskDrive (root\cimv2, readable by anyone) is used instead.
// Per disk: the USBSTOR/SCSI PNPDeviceID (Win32_DiskDrive, same Index as the disk Number) and its
// parent USB device (USB\VID_xxxx&PID_xxxx\<serial>), partitions, volumes (label, file system,
// \\?\Volume{…}\ id) and the FAT/NTFS volume serial of drive letters (Win32_LogicalDisk).
const LIST = [
  '$R=[ordered]@{format=1;source=$null;disks=@();errors=@()}',
  "function Er($w,$e){$script:R.errors+=($w+': '+$e.Exception.Message)}",
  "function Pa($i){try{[string](Get-PnpDeviceProperty -InstanceId $i -KeyName 'DEVPKEY_Device_Parent' -ErrorAction Stop).Data}catch{$null}}",
  '$DD=@{};try{foreach($x in @(Get-CimInstance Win32_DiskDrive)){$DD[[int]$x.Index]=$x}}catch{Er \'Win32_DiskDrive\' $_}',
  "$LD=@{};try{foreach($x in @(Get-CimInstance Win32_LogicalDisk)){$LD[[string]$x.DeviceID]=[string]$x.VolumeSerialNumber}}catch{Er 'Win32_LogicalDisk' $_}",
  "function Dl($c){if($c -and [int][char]$c -ne 0){[string]$c}else{$null}}",
  'function Pt($n){$o=@();foreach($p in @(Get-Partition -DiskNumber $n -ErrorAction SilentlyContinue)){$v=$null;try{$v=($p|Get-Volume -ErrorAction Stop)}catch{};' +
    '$l=Dl $p.DriveLetter;$o+=[pscustomobject]@{number=$p.PartitionNumber;driveLetter=$l;accessPaths=@($p.AccessPaths|ForEach-Object{[string]$_});' +
    'size=$p.Size;isReadOnly=$p.IsReadOnly;label=$(if($v){[string]$v.FileSystemLabel});fileSystem=$(if($v){[string]$v.FileSystem});' +
    'volumeId=$(if($v){[string]$v.UniqueId});volumeSerial=$(if($l){$LD[$l+\':\']})}};$o}',
  'try{$S=@(Get-Disk);$R.source=\'storage\';foreach($d in $S){$w=$DD[[int]$d.Number];$pnp=$(if($w){[string]$w.PNPDeviceID});' +
    "$bt=$null;try{$bt=$d.CimInstanceProperties['BusType'].Value}catch{};" +
    '$R.disks+=[pscustomobject]@{number=$d.Number;friendlyName=[string]$d.FriendlyName;model=[string]$d.Model;manufacturer=[string]$d.Manufacturer;' +
    'serialNumber=[string]$d.SerialNumber;busType=[string]$d.BusType;busTypeValue=$bt;size=$d.Size;isReadOnly=$d.IsReadOnly;isBoot=$d.IsBoot;isSystem=$d.IsSystem;' +
    'uniqueId=[string]$d.UniqueId;pnpDeviceId=$pnp;interfaceType=$(if($w){[string]$w.InterfaceType});parentId=$(if($pnp){Pa $pnp});partitions=@(Pt $d.Number)}}}' +
    "catch{Er 'Get-Disk' $_;$R.source='win32';foreach($w in $DD.Values){$pnp=[string]$w.PNPDeviceID;$parts=@();" +
    "try{foreach($p in @(Get-CimAssociatedInstance -InputObject $w -ResultClassName Win32_DiskPartition)){foreach($q in @(Get-CimAssociatedInstance -InputObject $p -ResultClassName Win32_LogicalDisk)){" +
    '$l=([string]$q.DeviceID).TrimEnd(\':\');$parts+=[pscustomobject]@{number=$p.Index+1;driveLetter=$l;accessPaths=@();size=$q.Size;isReadOnly=$null;' +
    "label=[string]$q.VolumeName;fileSystem=[string]$q.FileSystem;volumeId=$null;volumeSerial=[string]$q.VolumeSerialNumber}}}}catch{Er 'partitions' $_};" +
    '$R.disks+=[pscustomobject]@{number=[int]$w.Index;friendlyName=[string]$w.Caption;model=[string]$w.Model;manufacturer=[string]$w.Manufacturer;' +
    'serialNumber=[string]$w.SerialNumber;busType=$null;busTypeValue=$null;size=$w.Size;isReadOnly=$null;isBoot=$null;isSystem=$null;uniqueId=$null;' +
    'pnpDeviceId=$pnp;interfaceType=[string]$w.InterfaceType;parentId=$(if($pnp){Pa $pnp});partitions=@($parts)}}}',
  `[Console]::Out.WriteLine('${MEDIA_LINE}'+(ConvertTo-Json -Depth 6 -Compress -InputObject $R))`,
  '[Console]::Out.Flush()',
];

/** The media list script (constant text). */
export function mediaListScript(): string {
  return [...PRELUDE, ...LIST].join('\r\n');
}

// CM_Request_Device_Eject on the USB device (not the volume): what "Safely Remove Hardware" does,
// allowed for the interactive user at the console without admin rights. A veto (open files) comes
// back as its type and the vetoing component's name. Add-Type compiles a tiny P/Invoke class;
// where that is blocked (Constrained Language Mode), the script says so and the agent reports the
// step as not supported.
const EJECT = [
  `$id=[Environment]::GetEnvironmentVariable('${EJECT_ENV}')`,
  "if(-not $id -or $id -notmatch '^(USB|USBSTOR|SCSI|SD|SDBUS)\\\\[A-Za-z0-9&_.#+-]{1,200}\\\\[A-Za-z0-9&_.#{}+-]{1,200}$'){[Console]::Out.WriteLine('" + EJECT_LINE + "refused');exit 0}",
  'try{Add-Type -ErrorAction Stop -TypeDefinition @"',
  'using System;using System.Runtime.InteropServices;using System.Text;',
  'public static class MamoriEject{',
  '[DllImport("cfgmgr32.dll",CharSet=CharSet.Unicode)]public static extern int CM_Locate_DevNodeW(out int devInst,string id,int flags);',
  '[DllImport("cfgmgr32.dll",CharSet=CharSet.Unicode)]public static extern int CM_Request_Device_EjectW(int devInst,out int veto,StringBuilder name,int len,int flags);',
  'public static string Eject(string id){int d;int r=CM_Locate_DevNodeW(out d,id,0);if(r!=0){return "gone:"+r;}',
  'int v;StringBuilder n=new StringBuilder(260);r=CM_Request_Device_EjectW(d,out v,n,260,0);',
  'if(r!=0){return "error:"+r;}if(v!=0){return "veto:"+v+":"+n.ToString();}return "ok";}}',
  '"@}catch{[Console]::Out.WriteLine(\'' + EJECT_LINE + 'unsupported:\'+$_.Exception.Message);exit 0}',
  `[Console]::Out.WriteLine('${EJECT_LINE}'+[MamoriEject]::Eject($id))`,
  '[Console]::Out.Flush()',
];

/** The eject script (constant text); the device instance id comes in the MAMORI_EJECT_INSTANCE_ID environment variable. */
export function ejectScript(): string {
  return [...PRELUDE, ...EJECT].join('\r\n');
}
