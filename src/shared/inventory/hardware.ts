import { z } from 'zod';
import {

  MAC_LINUX,
  WIN,
  WIN_LINUX,
  field,
  optBool,
  optBytes,
  optCount,
  optDate,
  optNumber,
  optText,
} from './field.js';

// Hardware sections. Every field is nullable: a VM without DMI, or an OS that does not tell a
// standard user, yields null and the inventory still validates.

export const SystemSection = z.object({
  manufacturer: field(optText(), 'System maker (SMBIOS type 1 manufacturer).'),
  model: field(optText(), 'System model / product name.'),
  version: field(optText(), 'System version string as the maker sets it.'),
  serial: field(optText(), 'System serial number (often the maker\'s service tag).'),
  uuid: field(optText(), 'SMBIOS system UUID, lower-case; part of the hardware fingerprint.'),
  sku: field(optText(), 'Maker\'s SKU / product number.', WIN_LINUX),
  virtual: field(optBool(), 'True when the OS runs in a virtual machine.'),
  virtualHost: field(optText(), 'The hypervisor, when virtual (e.g. KVM, VMware, Hyper-V).'),
});

export const BiosSection = z.object({
  vendor: field(optText(), 'Firmware vendor.'),
  version: field(optText(), 'Firmware version.'),
  releaseDate: field(optDate(), 'Firmware release date.'),
  revision: field(optText(), 'Firmware revision, where the firmware reports one.', WIN_LINUX),
  serial: field(optText(), 'Serial number reported by the firmware.', WIN),
});

export const BaseboardSection = z.object({
  manufacturer: field(optText(), 'Mainboard maker.'),
  model: field(optText(), 'Mainboard model.'),
  version: field(optText(), 'Mainboard version.'),
  serial: field(optText(), 'Mainboard serial number.'),
  assetTag: field(optText(), 'Asset tag written into the mainboard\'s SMBIOS record.', WIN_LINUX),
});

export const ChassisSection = z.object({
  manufacturer: field(optText(), 'Chassis maker.'),
  type: field(optText(), 'Chassis type (Desktop, Notebook, Laptop, Tower, Other…).'),
  version: field(optText(), 'Chassis version.'),
  serial: field(optText(), 'Chassis serial number.'),
  assetTag: field(optText(), 'Asset tag written into the chassis SMBIOS record.', WIN_LINUX),
});

export const CpuSection = z.object({
  manufacturer: field(optText(), 'CPU maker (Intel, AMD, Apple…).'),
  brand: field(optText(), 'CPU brand string (e.g. Core™ i5-1135G7).'),
  vendor: field(optText(), 'CPU vendor id (GenuineIntel, AuthenticAMD…).'),
  family: field(optText(), 'CPU family number.'),
  model: field(optText(), 'CPU model number.'),
  stepping: field(optText(), 'CPU stepping.'),
  speedGHz: field(optNumber(), 'Nominal clock speed in GHz.'),
  cores: field(optCount(), 'Logical processors (threads).'),
  physicalCores: field(optCount(), 'Physical cores.'),
  processors: field(optCount(), 'CPU packages (sockets).'),
  virtualization: field(optBool(), 'True when hardware virtualisation is available.', WIN_LINUX),
});

export const MemoryModule = z.object({
  sizeBytes: field(optBytes(), 'Module size in bytes.'),
  bank: field(optText(), 'Bank / slot label.'),
  type: field(optText(), 'Memory type (DDR4, LPDDR5…).'),
  clockMHz: field(optCount(), 'Configured clock speed in MHz.'),
  formFactor: field(optText(), 'Form factor (DIMM, SODIMM…).', WIN_LINUX),
  manufacturer: field(optText(), 'Module maker.'),
  partNumber: field(optText(), 'Maker\'s part number.'),
  serial: field(optText(), 'Module serial number.'),
});

export const MemorySection = z.object({
  totalBytes: field(optBytes(), 'Installed physical memory seen by the OS, in bytes (Linux: MemTotal of /proc/meminfo).'),
  swapTotalBytes: field(optBytes(), 'Configured swap / page file size, in bytes.'),
  modules: field(z.array(MemoryModule).max(256), 'Memory modules (empty where the OS cannot read SMBIOS as a standard user).'),
});

export const Disk = z.object({
  device: field(optText(), 'OS device path or id (/dev/sda, \\\\.\\PHYSICALDRIVE0, disk0).'),
  type: field(optText(), 'Medium type (SSD, HD, NVMe…).'),
  name: field(optText(), 'Model name.'),
  vendor: field(optText(), 'Disk maker.'),
  sizeBytes: field(optBytes(), 'Capacity in bytes.'),
  serial: field(optText(), 'Disk serial number.'),
  interfaceType: field(optText(), 'Bus / interface (SATA, NVMe, USB, SCSI…).'),
  firmware: field(optText(), 'Firmware revision.'),
  smartStatus: field(optText(), 'SMART overall status (Ok, Predicted Failure, unknown).'),
  removable: field(optBool(), 'True when the disk is removable or on a hot-plug bus (USB).'),
});
export const DisksSection = z.array(Disk).max(512);

export const Volume = z.object({
  device: field(optText(), 'Block device or drive letter (C:, /dev/nvme0n1p2).'),
  mount: field(optText(), 'Mount point.'),
  fsType: field(optText(), 'File system (NTFS, APFS, ext4…).'),
  label: field(optText(), 'Volume label.', WIN_LINUX),
  uuid: field(optText(), 'File-system UUID or volume serial number.', WIN_LINUX),
  sizeBytes: field(optBytes(), 'Volume size in bytes.'),
  availableBytes: field(
    optBytes(),
    'Free space in bytes, rounded down to a whole GiB so that routine writes do not count as a change.',
  ),
  readOnly: field(optBool(), 'True when mounted read-only.', MAC_LINUX),
  removable: field(optBool(), 'True when the volume is on removable media.'),
});
export const VolumesSection = z.array(Volume).max(1024);

export const GraphicsController = z.object({
  vendor: field(optText(), 'GPU maker.'),
  model: field(optText(), 'GPU model.'),
  vramMB: field(optCount(), 'Video memory in MB.'),
  driverVersion: field(optText(), 'Driver version.', WIN),
  bus: field(optText(), 'Bus (PCIe, Onboard, Built-In…).'),
});
export const Display = z.object({
  vendor: field(optText(), 'Monitor maker.'),
  model: field(optText(), 'Monitor model.'),
  serial: field(optText(), 'Monitor serial number (from EDID).', WIN),
  connection: field(optText(), 'Connection type (HDMI, DP, Internal…).'),
  main: field(optBool(), 'True for the primary display.'),
  builtin: field(optBool(), 'True for a built-in panel.'),
  resolutionX: field(optCount(), 'Current horizontal resolution in pixels.'),
  resolutionY: field(optCount(), 'Current vertical resolution in pixels.'),
  sizeXmm: field(optCount(), 'Physical width in millimetres.', WIN),
  sizeYmm: field(optCount(), 'Physical height in millimetres.', WIN),
});
export const GraphicsSection = z.object({
  controllers: field(z.array(GraphicsController).max(64), 'Graphics adapters.'),
  displays: field(z.array(Display).max(64), 'Connected displays.'),
});

export const BatterySection = z.object({
  present: field(z.boolean(), 'True when the machine has a battery.'),
  manufacturer: field(optText(), 'Battery maker.'),
  model: field(optText(), 'Battery model.'),
  serial: field(optText(), 'Battery serial number.'),
  chemistry: field(optText(), 'Cell chemistry (Li-ion…).', WIN_LINUX),
  cycleCount: field(optCount(), 'Charge cycles.', MAC_LINUX),
  designedCapacityMWh: field(optCount(), 'Design capacity in mWh.'),
  maxCapacityMWh: field(optCount(), 'Current full-charge capacity in mWh.'),
  healthPercent: field(optNumber(), 'Full-charge capacity as a percentage of design capacity.'),
});

export const Printer = z.object({
  name: field(z.string().max(1024), 'Printer name as the OS shows it.'),
  model: field(optText(), 'Driver / model.'),
  uri: field(optText(), 'Device URI or port.'),
  status: field(optText(), 'Status reported by the spooler.'),
  isDefault: field(optBool(), 'True for the default printer.'),
  local: field(optBool(), 'True when attached locally rather than shared from a server.', WIN),
  shared: field(optBool(), 'True when this PC shares it.'),
});
export const PrintersSection = z.array(Printer).max(1024);

export const UsbDevice = z.object({
  bus: field(optCount(), 'USB bus number.', MAC_LINUX),
  deviceId: field(optText(), 'OS device id (Windows PnP id, Linux bus/port path).'),
  vendorId: field(optText(), 'USB vendor id as four lower-case hex digits.'),
  productId: field(optText(), 'USB product id as four lower-case hex digits.'),
  name: field(optText(), 'Product name.'),
  type: field(optText(), 'Device class (Storage, Hub, HID, Camera…).'),
  manufacturer: field(optText(), 'Maker string from the device.'),
  serial: field(optText(), 'Serial string from the device.'),
  removable: field(optBool(), 'True when the device is removable.', MAC_LINUX),
});
export const UsbSection = z.array(UsbDevice).max(1024);

