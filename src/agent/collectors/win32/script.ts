// The one Windows PowerShell 5.1 script that a scan runs (see ../../../../shared/notes/platforms.md
// §1, §3, §4). One process per scan because each powershell.exe start costs 0.2–2 s (§4.3).
//
// What it prints, one line each (compressed JSON never holds a raw newline, so lines frame it):
//   format=1                   first, so that output from anything else is recognised as such
//   <section>=<JSON array>     one per query that succeeded, always an array (-InputObject @(…))
//   errors=<JSON array>        last: {query, message} for every query that threw
// A query that throws gives an errors entry instead of its line, and the script goes on.
//
// The script is a constant: nothing from the agent, the user or the machine is ever spliced into
// its text, and it reaches PowerShell as -EncodedCommand (base64 of UTF-16LE), so there is no
// quoting for anyone to break out of.

/** The sections the script prints, in order. */
export const SCAN_SECTIONS = [
  'uninstall',
  'upgradeCodes',
  'appx',
  'bitlocker',
  'antivirus',
  'firewallProducts',
  'defender',
  'firewall',
  'screenLock',
  'updateHistory',
  'updateStatus',
  'updatePolicy',
  'localUsers',
  'administrators',
  'os',
] as const;
export type ScanSection = (typeof SCAN_SECTIONS)[number];

/** The first line the script prints; its number changes when the output's shape does. */
export const SCAN_FORMAT_LINE = 'format=1';
/** The name of the last line, the list of failed queries; seeing it means the script ran to its end. */
export const SCAN_TRAILER = 'errors';

/** How long the script waits for the Windows Update agent, which can block for minutes while its service is busy. */
export const WINDOWS_UPDATE_WAIT_MS = 10_000;

// Each string is one line of PowerShell. Comments live here, not in the script, because the
// whole command line (with the base64 script) must stay under Windows' 32,767-character limit.
const PRELUDE = [
  "$ErrorActionPreference='Stop'",
  // Progress records slow PowerShell down and leak to stderr as CLIXML.
  "$ProgressPreference='SilentlyContinue'",
  // Console output is in the OEM code page (CP932 on Japanese Windows) unless told otherwise. A
  // UTF-8 encoding without BOM; the parser still drops a BOM if one comes.
  'try{$u=New-Object Text.UTF8Encoding $false;[Console]::OutputEncoding=$u;$OutputEncoding=$u}catch{}',
  // Windows PowerShell's type data for System.Array makes ConvertTo-Json print nested arrays as
  // {"value":[…],"Count":n} (PowerShell/PowerShell#3222, #5579).
  'try{Remove-TypeData System.Array -ErrorAction SilentlyContinue}catch{}',
  '$E=@()',
  // W: print one section line. Written straight to the console stream, never through the host's
  // formatter, so nothing is wrapped or reformatted.
  "function W($n,$v){[Console]::Out.WriteLine($n+'='+(ConvertTo-Json -Depth 4 -Compress -InputObject $v))}",
  // F: record a failed query. Q: run one query, print its results as an array (@() turns no
  // result into [] and one result into [x]), or record why it failed.
  'function F($q,$m){$script:E+=[pscustomobject]@{query=$q;message=[string]$m}}',
  'function Q($n,[scriptblock]$b){try{W $n @(& $b)}catch{F $n $_.Exception.Message}}',
  // D: a DateTime as ISO-8601 UTC (ConvertTo-Json would print \/Date(ms)\/ or a localized string).
  "function D($d){if($d -is [datetime]){$d.ToUniversalTime().ToString('o')}}",
  // V: one registry value, or nothing when the key or value is absent.
  'function V($b,$p,$n){$k=$b.OpenSubKey($p);if($k){try{$k.GetValue($n)}finally{$k.Close()}}}',
  // The 64-bit registry view even if a 32-bit PowerShell runs this (WOW64 redirection, §1.1).
  "$LM=[Microsoft.Win32.RegistryKey]::OpenBaseKey('LocalMachine','Registry64')",
  "$CU=[Microsoft.Win32.RegistryKey]::OpenBaseKey('CurrentUser','Registry64')",
  `[Console]::Out.WriteLine('${SCAN_FORMAT_LINE}')`,
];

const SOFTWARE = [
  // Uninstall (ARP) keys. A hive that cannot be opened is recorded as uninstall.<hive>; a single
  // unreadable subkey as uninstall.<hive>.key, and the other keys still come.
  'function U($b,$p,$h){try{$k=$b.OpenSubKey($p);if(!$k){return};$s=$k.GetSubKeyNames()}catch{F "uninstall.$h" $_.Exception.Message;return};' +
    "foreach($n in $s){try{$c=$k.OpenSubKey($n);if($c){[pscustomobject]@{hive=$h;key=$n;DisplayName=$c.GetValue('DisplayName');" +
    "DisplayVersion=$c.GetValue('DisplayVersion');Publisher=$c.GetValue('Publisher');InstallDate=$c.GetValue('InstallDate');" +
    "InstallLocation=$c.GetValue('InstallLocation');SystemComponent=$c.GetValue('SystemComponent');ParentKeyName=$c.GetValue('ParentKeyName');" +
    "ReleaseType=$c.GetValue('ReleaseType');WindowsInstaller=$c.GetValue('WindowsInstaller')};$c.Close()}}" +
    "catch{F \"uninstall.$h.key\" ($n+': '+$_.Exception.Message)}};$k.Close()}",
  "Q uninstall {U $LM 'SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall' 'hklm';" +
    "U $LM 'SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall' 'wow6432';" +
    "U $CU 'Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall' 'hkcu'}",
  // MSI UpgradeCodes: subkey = packed UpgradeCode, value names = packed ProductCodes (§1.1).
  'function G($b,$p,$h){$k=$b.OpenSubKey($p);if(!$k){return};foreach($n in $k.GetSubKeyNames()){$c=$k.OpenSubKey($n);' +
    'if($c){[pscustomobject]@{hive=$h;packed=$n;products=@($c.GetValueNames())};$c.Close()}};$k.Close()}',
  "Q upgradeCodes {G $LM 'SOFTWARE\\Classes\\Installer\\UpgradeCodes' 'hklm';G $CU 'Software\\Microsoft\\Installer\\UpgradeCodes' 'hkcu'}",
  // Appx/MSIX of the current user (-AllUsers needs admin, §1.2). Enums cast to their names.
  'Q appx {Get-AppxPackage|%{[pscustomobject]@{Name=$_.Name;PackageFamilyName=$_.PackageFamilyName;PackageFullName=$_.PackageFullName;' +
    'Publisher=$_.Publisher;Version=[string]$_.Version;Architecture=[string]$_.Architecture;InstallLocation=$_.InstallLocation;' +
    'IsFramework=$_.IsFramework;IsResourcePackage=$_.IsResourcePackage;IsBundle=$_.IsBundle;NonRemovable=$_.NonRemovable;' +
    'SignatureKind=[string]$_.SignatureKind}}}',
];

const POSTURE = [
  // BitLocker per fixed volume from the property Explorer's padlock uses: readable without admin,
  // unlike manage-bde and Win32_EncryptableVolume (§3.1).
  'Q bitlocker {$sh=New-Object -ComObject Shell.Application;foreach($d in [IO.DriveInfo]::GetDrives()){' +
    "if([string]$d.DriveType -eq 'Fixed'){$n=$d.Name.TrimEnd('\\');$v=$null;" +
    "try{$v=$sh.NameSpace($n).Self.ExtendedProperty('System.Volume.BitLockerProtection')}catch{};" +
    '[pscustomobject]@{drive=$n;protection=$v;system=($n -eq $env:SystemDrive)}}}}',
  // Security Center: client SKUs only; Windows Server answers "Invalid namespace" (§3.2).
  'Q antivirus {Get-CimInstance -Namespace root/SecurityCenter2 -ClassName AntiVirusProduct|%{[pscustomobject]@{' +
    'displayName=$_.displayName;instanceGuid=$_.instanceGuid;productState=$_.productState;timestamp=$_.timestamp}}}',
  'Q firewallProducts {Get-CimInstance -Namespace root/SecurityCenter2 -ClassName FirewallProduct|%{[pscustomobject]@{' +
    'displayName=$_.displayName;instanceGuid=$_.instanceGuid;productState=$_.productState}}}',
  'Q defender {if(Get-Command Get-MpComputerStatus -ErrorAction SilentlyContinue){$m=Get-MpComputerStatus;[pscustomobject]@{' +
    'AMServiceEnabled=$m.AMServiceEnabled;AntivirusEnabled=$m.AntivirusEnabled;RealTimeProtectionEnabled=$m.RealTimeProtectionEnabled;' +
    'AntivirusSignatureLastUpdated=(D $m.AntivirusSignatureLastUpdated);AntivirusSignatureAge=$m.AntivirusSignatureAge;' +
    'AntivirusSignatureVersion=$m.AntivirusSignatureVersion;AMRunningMode=[string]$m.AMRunningMode;' +
    'DefenderSignaturesOutOfDate=$m.DefenderSignaturesOutOfDate;IsTamperProtected=$m.IsTamperProtected}}}',
  // Firewall from the registry, not netsh (localized) nor Get-NetFirewallProfile (§3.3):
  // name, local key, policy key, and for Private the legacy policy key of the old ADMX.
  "Q firewall {foreach($p in 'Domain,DomainProfile,DomainProfile','Private,StandardProfile,PrivateProfile,StandardProfile','Public,PublicProfile,PublicProfile'){" +
    "$q=$p.Split(',');$w='SOFTWARE\\Policies\\Microsoft\\WindowsFirewall\\';[pscustomobject]@{profile=$q[0];" +
    "local=(V $LM ('SYSTEM\\CurrentControlSet\\Services\\SharedAccess\\Parameters\\FirewallPolicy\\'+$q[1]) 'EnableFirewall');" +
    "policy=(V $LM ($w+$q[2]) 'EnableFirewall');legacyPolicy=$(if($q.Count -gt 3){V $LM ($w+$q[3]) 'EnableFirewall'})}}}",
  // Screen saver (REG_SZ strings), its policy override, and the machine inactivity limit (§3.4).
  "Q screenLock {$d='Control Panel\\Desktop';$q='Software\\Policies\\Microsoft\\Windows\\Control Panel\\Desktop';[pscustomobject]@{" +
    "active=(V $CU $d 'ScreenSaveActive');secure=(V $CU $d 'ScreenSaverIsSecure');timeout=(V $CU $d 'ScreenSaveTimeOut');" +
    "exe=(V $CU $d 'SCRNSAVE.EXE');policyActive=(V $CU $q 'ScreenSaveActive');policySecure=(V $CU $q 'ScreenSaverIsSecure');" +
    "policyTimeout=(V $CU $q 'ScreenSaveTimeOut');policyExe=(V $CU $q 'SCRNSAVE.EXE');" +
    "inactivityTimeoutSecs=(V $LM 'SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System' 'InactivityTimeoutSecs')}}",
  // Windows Update history and pending count through the WUA COM API, in a second runspace so
  // that a busy update service costs at most WINDOWS_UPDATE_WAIT_MS, not the whole scan.
  // History dates are UTC; Online=$false searches the local cache only, never the network.
  '$UP=$null',
  "Q updateHistory {$r=[PowerShell]::Create().AddScript({$ErrorActionPreference='Stop';" +
    '$u=(New-Object -ComObject Microsoft.Update.Session).CreateUpdateSearcher();$n=$u.GetTotalHistoryCount();$h=@();' +
    'if($n -gt 0){$h=@($u.QueryHistory(0,[Math]::Min($n,100))|%{$c=@();try{$c=@($_.Categories|%{[string]$_.CategoryID})}catch{};' +
    "[pscustomobject]@{date=[DateTime]::SpecifyKind($_.Date,'Utc').ToString('o');operation=[int]$_.Operation;" +
    'resultCode=[int]$_.ResultCode;title=$_.Title;categories=$c}})};' +
    "$p=$null;try{$u.Online=$false;$p=$u.Search('IsInstalled=0 and IsHidden=0').Updates.Count}catch{};" +
    '[pscustomobject]@{history=$h;pending=$p}});$a=$r.BeginInvoke();' +
    `if(!$a.AsyncWaitHandle.WaitOne(${WINDOWS_UPDATE_WAIT_MS})){throw 'Windows Update did not answer in time'};` +
    "$o=$r.EndInvoke($a);if($o.Count -lt 1){throw 'Windows Update gave no answer'};" +
    '$script:UP=[pscustomobject]@{pendingCount=$o[0].pending};$o[0].history}',
  "Q updateStatus {if($null -eq $script:UP){throw 'Windows Update history was not read'};$script:UP}",
  "Q updatePolicy {$a='SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU';[pscustomobject]@{" +
    "noAutoUpdate=(V $LM $a 'NoAutoUpdate');auOptions=(V $LM $a 'AUOptions');" +
    "serviceStart=(V $LM 'SYSTEM\\CurrentControlSet\\Services\\wuauserv' 'Start')}}",
];

const IDENTITY = [
  // Local accounts, with the profile folder from ProfileList (readable without admin).
  'Q localUsers {Get-LocalUser|%{$s=[string]$_.SID;[pscustomobject]@{Name=$_.Name;FullName=$_.FullName;Enabled=$_.Enabled;' +
    "SID=$s;LastLogon=(D $_.LastLogon);Home=(V $LM ('SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList\\'+$s) 'ProfileImagePath')}}}",
  // Administrators by its well-known SID (the group's name is localized). Get-LocalGroupMember
  // fails outright when the group holds an orphaned SID (PowerShell/PowerShell#2996); then ADSI.
  'Q administrators {try{$m=@(Get-LocalGroupMember -SID S-1-5-32-544|%{[pscustomobject]@{Name=$_.Name;SID=[string]$_.SID;' +
    'ObjectClass=[string]$_.ObjectClass;PrincipalSource=[string]$_.PrincipalSource}})}catch{' +
    "$g=([Security.Principal.SecurityIdentifier]::new('S-1-5-32-544')).Translate([Security.Principal.NTAccount]).Value.Split('\\')[-1];" +
    "$m=@(([ADSI]\"WinNT://$env:COMPUTERNAME/$g,group\").psbase.Invoke('Members')|%{$t=$_.GetType();[pscustomobject]@{" +
    "Name=$t.InvokeMember('Name','GetProperty',$null,$_,$null);" +
    "SID=[Security.Principal.SecurityIdentifier]::new($t.InvokeMember('objectSid','GetProperty',$null,$_,$null),0).Value;" +
    "ObjectClass=$t.InvokeMember('Class','GetProperty',$null,$_,$null);PrincipalSource='WinNT'}})};$m}",
  "Q os {$c=Get-CimInstance Win32_ComputerSystem;$v='SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion';[pscustomobject]@{" +
    "Domain=$c.Domain;Workgroup=$c.Workgroup;PartOfDomain=$c.PartOfDomain;CurrentBuild=(V $LM $v 'CurrentBuild');UBR=(V $LM $v 'UBR');" +
    "DisplayVersion=(V $LM $v 'DisplayVersion');ReleaseId=(V $LM $v 'ReleaseId');InstallDate=(V $LM $v 'InstallDate');" +
    "ProductName=(V $LM $v 'ProductName');EditionID=(V $LM $v 'EditionID')}}",
];

const EPILOGUE = [
  `W ${SCAN_TRAILER} @($E)`,
  '[Console]::Out.Flush()',
  // Exit at once: a Windows Update runspace that overran its wait must not keep the process alive.
  '[Environment]::Exit(0)',
];

/** The batched inventory script (constant text: see the header of this file). */
export function inventoryScript(): string {
  return [...PRELUDE, ...SOFTWARE, ...POSTURE, ...IDENTITY, ...EPILOGUE].join('\r\n');
}

/** A script as PowerShell's -EncodedCommand wants it: base64 of its UTF-16LE bytes. */
export function encodeCommand(script: string): string {
  return Buffer.from(script, 'utf16le').toString('base64');
}

/** The arguments for powershell.exe that run `script`: no profile, no prompts, passed encoded. */
export function powershellArguments(script: string): string[] {
  return ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand', encodeCommand(script)];
}
