// What the simulated fleet is made of: the software titles, machine models and people of a
// Japanese local-government office. Titles, publishers and version strings are the ones these
// products write into the Uninstall keys / Appx manifests (shapes as in test/fixtures/win32 and
// test/fixtures/si/windows-ja.json); versions are real releases, a few per title so that the
// fleet is not uniform. Data only: bench/collector-agent.ts turns it into inventories.

/** Where a title is found, as the Windows collector names it (src/agent/collectors/win32/software.ts). */
export type TitleKind =
  | 'msi' // HKLM Uninstall, key = ProductCode (WindowsInstaller=1)
  | 'msi32' // the same under WOW6432Node
  | 'key' // HKLM Uninstall, key = a product's own key name
  | 'key32' // WOW6432Node, own key name
  | 'user' // HKCU Uninstall (per-user installs)
  | 'appx'; // Get-AppxPackage of the logged-in user (frameworks and System packages excluded)

export interface Title {
  kind: TitleKind;
  /** DisplayName; `{v}` is replaced by the version. For appx, the package Name. */
  name: string;
  publisher: string | null;
  /** Released versions, oldest first; the fleet mostly runs the newer ones. */
  versions: readonly string[];
  /** Share of the fleet that has it installed. */
  share: number;
  /** Uninstall key name (key kinds) or publisher id of the package family (appx). */
  key?: string;
  /** InstallLocation; `{user}` is the logged-in user's folder name. */
  path?: string;
  /** Only on PCs whose SMBIOS manufacturer starts with this (OEM drivers and tools). */
  oem?: string;
  /** Only on the few developers' PCs (SDKs come as a bundle of dozens of entries). */
  developer?: boolean;
  /** Only on PCs of this department (its business systems). */
  department?: string;
}

const t = (kind: TitleKind, name: string, publisher: string | null, versions: readonly string[], share: number, extra: Partial<Title> = {}): Title => ({
  kind,
  name,
  publisher,
  versions,
  share,
  ...extra,
});

const MS = 'Microsoft Corporation';
const JUST = '株式会社ジャストシステム';

// Store apps of a Windows 11 23H2 user profile that are neither frameworks nor System-signed.
const APPX: Title[] = [
  ['Microsoft.WindowsCalculator', ['11.2307.4.0', '11.2405.2.0', '11.2502.2.0']],
  ['Microsoft.Windows.Photos', ['2024.11050.3002.0', '2024.11120.5010.0', '2025.11010.19001.0']],
  ['Microsoft.WindowsNotepad', ['11.2402.22.0', '11.2409.9.0', '11.2501.31.0']],
  ['Microsoft.Paint', ['11.2404.1020.0', '11.2410.28.0']],
  ['Microsoft.ScreenSketch', ['11.2405.32.0', '11.2410.40.0']],
  ['Microsoft.WindowsTerminal', ['1.20.11781.0', '1.21.3231.0', '1.22.10352.0']],
  ['Microsoft.WindowsStore', ['22405.1401.2.0', '22410.1401.5.0']],
  ['Microsoft.StorePurchaseApp', ['22312.1400.6.0']],
  ['Microsoft.DesktopAppInstaller', ['1.22.11261.0', '1.23.1911.0', '1.24.25200.0']],
  ['Microsoft.GetHelp', ['10.2403.20861.0']],
  ['Microsoft.Getstarted', ['10.2312.1.0']],
  ['Microsoft.MicrosoftOfficeHub', ['18.2405.1191.0', '18.2409.1191.0']],
  ['Microsoft.MicrosoftSolitaireCollection', ['4.19.3190.0', '4.21.11150.0']],
  ['Microsoft.MicrosoftStickyNotes', ['6.0.2.0', '6.1.2.0']],
  ['Microsoft.People', ['10.2202.100.0']],
  ['Microsoft.PowerAutomateDesktop', ['11.2403.32.0', '11.2409.147.0']],
  ['Microsoft.Todos', ['2.114.7122.0', '2.117.14112.0']],
  ['Microsoft.WindowsAlarms', ['11.2404.3.0', '11.2409.20.0']],
  ['Microsoft.WindowsCamera', ['2024.2405.10.0', '2024.2410.5.0']],
  ['microsoft.windowscommunicationsapps', ['16005.14326.21904.0']],
  ['Microsoft.WindowsFeedbackHub', ['1.2405.12261.0']],
  ['Microsoft.WindowsMaps', ['11.2405.1.0']],
  ['Microsoft.WindowsSoundRecorder', ['11.2405.8.0', '11.2409.20.0']],
  ['Microsoft.Xbox.TCUI', ['1.24.10001.0']],
  ['Microsoft.XboxGamingOverlay', ['7.124.5142.0', '7.124.11221.0']],
  ['Microsoft.XboxIdentityProvider', ['12.110.15002.0']],
  ['Microsoft.XboxSpeechToTextOverlay', ['1.97.17002.0']],
  ['Microsoft.YourPhone', ['1.24052.124.0', '1.24102.162.0']],
  ['Microsoft.ZuneMusic', ['11.2405.4.0', '11.2410.15.0']],
  ['Microsoft.ZuneVideo', ['10.24041.10091.0']],
  ['Microsoft.BingNews', ['4.55.62231.0']],
  ['Microsoft.BingWeather', ['4.54.63029.0', '4.54.63034.0']],
  ['Microsoft.GamingApp', ['2405.1001.9.0', '2410.1001.16.0']],
  ['Microsoft.HEIFImageExtension', ['1.1.861.0', '1.2.3.0']],
  ['Microsoft.VP9VideoExtensions', ['1.1.451.0', '1.2.1.0']],
  ['Microsoft.WebMediaExtensions', ['1.1.1295.0', '1.1.2041.0']],
  ['Microsoft.WebpImageExtension', ['1.1.1192.0', '1.2.6.0']],
  ['Microsoft.RawImageExtension', ['2.3.1391.0', '2.5.2.0']],
  ['Microsoft.LanguageExperiencePackja-JP', ['22621.56.214.0', '22621.71.235.0']],
  ['MicrosoftCorporationII.QuickAssist', ['2.0.30.0', '2.0.32.0']],
  ['MSTeams', ['24152.405.2925.6762', '24277.3502.3158.7048', '25017.203.3370.1174']],
  ['Microsoft.OutlookForWindows', ['1.2024.1008.300', '1.2025.115.100']],
  ['Clipchamp.Clipchamp', ['3.0.10220.0', '3.1.12120.0']],
].map(([name, versions]) => t('appx', name as string, MS, versions as string[], 0.93, { key: (name as string) === 'Clipchamp.Clipchamp' ? 'yxz26nhyzhsrt' : '8wekyb3d8bbwe' }));

const APPX_OEM: Title[] = [
  t('appx', 'AppUp.IntelGraphicsExperience', 'INTEL CORP', ['1.100.5185.0', '1.100.5688.0'], 0.55, { key: '8j3eq9eme6ctt' }),
  t('appx', 'RealtekSemiconductorCorp.RealtekAudioControl', 'Realtek Semiconductor Corp', ['1.41.269.0', '1.46.271.0'], 0.5, { key: 'dt26b99r8h8gj' }),
  t('appx', 'E046963F.LenovoCompanion', 'LENOVO INC.', ['10.2404.20.0', '10.2410.25.0'], 0.12, { key: 'k1h2ywk1493x8' }),
  t('appx', 'AD2F1837.HPSmart', 'HP Inc.', ['151.3.1182.0', '153.1.1025.0'], 0.1, { key: 'v10z8vjag6ke6' }),
  t('appx', 'DellInc.DellCommandUpdate', 'Dell Inc', ['5.4.0.0', '5.5.0.0'], 0.08, { key: 'htrsf667h5kn2' }),
  t('appx', 'NVIDIACorp.NVIDIAControlPanel', 'NVIDIA Corp.', ['8.1.966.0', '8.1.967.0'], 0.1, { key: '56jybvy8sckqj' }),
];

// More Store packages of a Windows 11 profile (codecs, widgets, Copilot, OEM audio).
const APPX_MORE: Title[] = [
  ['Microsoft.HEVCVideoExtension', ['2.1.1803.0', '2.2.9.0']],
  ['Microsoft.AV1VideoExtension', ['1.1.61781.0', '1.3.4.0']],
  ['Microsoft.MPEG2VideoExtension', ['1.0.61931.0', '1.1.23.0']],
  ['Microsoft.AVCEncoderVideoExtension', ['1.0.271.0']],
  ['Microsoft.DolbyAudioExtensions', ['1.0.29.0']],
  ['Microsoft.ApplicationCompatibilityEnhancements', ['1.2401.10.0', '1.2411.16.0']],
  ['Microsoft.WidgetsPlatformRuntime', ['1.6.1.0', '1.6.2.0']],
  ['MicrosoftWindows.Client.WebExperience', ['424.1301.270.9', '524.34401.20.0']],
  ['MicrosoftWindows.CrossDevice', ['1.24102.15.0', '1.25011.60.0']],
  ['Microsoft.Copilot', ['1.24112.123.0', '1.25011.85.0']],
  ['Microsoft.Windows.DevHome', ['0.1801.621.0', '0.2000.758.0']],
  ['Microsoft.Winget.Source', ['2025.626.1921.386', '2025.629.1431.553']],
  ['Microsoft.MicrosoftEdge.Stable', ['131.0.2903.86', '132.0.2957.127']],
  ['Microsoft.SecHealthUI', ['1000.26100.1.0', '1000.27703.1006.0']],
  ['Microsoft.Edge.GameAssist', ['1.0.3336.0']],
  ['Microsoft.MicrosoftJournal', ['1.2024.1205.1008']],
  ['Microsoft.Whiteboard', ['51.20801.606.0']],
  ['Microsoft.M365Companions', ['1.2024.1126.1']],
  ['Microsoft.CommandPalette', ['0.1.1001.0']],
  ['Microsoft.WindowsAppRuntime.Singleton', ['5001.311.2039.0']],
].map(([name, versions]) => t('appx', name as string, MS, versions as string[], 0.85, { key: '8wekyb3d8bbwe' }));

// DIFx driver packages: every OEM PC lists dozens under Uninstall, named
// "Windows Driver Package - <provider> (<service>) <class>  (<date> <version>)".
const driverPackage = (provider: string, service: string, cls: string, versions: readonly string[], share: number, oem?: string): Title =>
  t('key', `Windows Driver Package - ${provider} (${service}) ${cls}  ({v})`, provider, versions, share, {
    key: createKeyName(`${provider}|${service}|${cls}`),
    ...(oem ? { oem } : {}),
  });

/** A 40-digit upper-case hex key name, as DIFx names its Uninstall keys. */
function createKeyName(text: string): string {
  let h1 = 0x811c9dc5;
  let out = '';
  for (let round = 0; out.length < 40; round++) {
    for (const ch of `${text}#${round}`) h1 = Math.imul(h1 ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    out += h1.toString(16).toUpperCase().padStart(8, '0');
  }
  return out.slice(0, 40);
}

const DRIVER_PACKAGES: Title[] = [
  ...(
    [
      ['Intel', 'e1dexpress', 'Net', ['09/26/2023 12.19.2.45', '03/12/2024 12.19.2.60']],
      ['Intel', 'Netwtw14', 'Net', ['11/08/2023 23.20.0.3', '06/03/2024 23.60.0.10']],
      ['Intel', 'MEIx64', 'System', ['09/06/2023 2306.4.3.0', '02/22/2024 2406.5.5.0']],
      ['Intel', 'iaStorVD', 'HDC', ['05/17/2023 19.5.1.1040', '11/02/2023 20.1.0.1016']],
      ['Intel', 'iaLPSS2_GPIO2', 'System', ['04/19/2022 30.100.2237.17']],
      ['Intel', 'iaLPSS2_I2C', 'System', ['04/19/2022 30.100.2237.17']],
      ['Intel', 'iaLPSS2_SPI', 'System', ['04/19/2022 30.100.2237.17']],
      ['Intel', 'iaLPSS2_UART2', 'System', ['04/19/2022 30.100.2237.17']],
      ['Intel', 'IntcAudioBus', 'System', ['06/28/2023 10.29.0.9677', '01/15/2024 10.29.0.10256']],
      ['Intel', 'IntcSST', 'MEDIA', ['06/28/2023 10.29.0.9677', '01/15/2024 10.29.0.10256']],
      ['Intel', 'igfxn', 'Display', ['10/12/2023 31.0.101.4255', '04/26/2024 31.0.101.5594']],
      ['Intel', 'ibtusb', 'Bluetooth', ['10/25/2023 23.20.0.3', '06/03/2024 23.60.0.1']],
      ['Intel', 'IntelPMT', 'System', ['03/04/2022 3.0.0.2']],
      ['Intel', 'ipf_acpi', 'System', ['08/14/2023 1.0.11701.36189']],
      ['Intel', 'ipf_cpu', 'System', ['08/14/2023 1.0.11701.36189']],
      ['Intel', 'ipf_lf', 'System', ['08/14/2023 1.0.11701.36189']],
      ['Intel', 'GNA', 'System', ['02/18/2022 3.0.0.1457']],
      ['Intel', 'iacamera64', 'Camera', ['09/12/2023 71.22621.20140.6']],
      ['Intel', 'ISH', 'System', ['07/11/2023 5.8.4.7']],
      ['Intel', 'HECIx64', 'System', ['09/06/2023 2306.4.3.0']],
      ['Intel', 'DptfDriver', 'System', ['09/21/2023 9.0.11901.36189']],
      ['Intel Corporation', 'iaStorAC', 'HDC', ['05/17/2019 17.5.1.1021']],
      ['Intel Corporation', 'USBXHCI', 'USB', ['04/28/2021 10.0.22000.1']],
      ['Realtek Semiconductor Corp.', 'RTSUER', 'USB', ['07/22/2023 10.0.22000.31274']],
      ['Realtek', 'rt640x64', 'Net', ['08/15/2023 10.68.815.2023', '03/14/2024 10.71.314.2024']],
      ['Realtek Semiconductor Corp.', 'IntcAzAudAddService', 'MEDIA', ['10/31/2023 6.0.9549.1']],
      ['Realtek Semiconductor Corp.', 'RTKVHD64', 'MEDIA', ['10/31/2023 6.0.9549.1']],
      ['Realtek Semiconductor Corp.', 'RtkAudioUniversalService', 'SoftwareComponent', ['10/31/2023 1.0.0.340']],
      ['Realtek Semiconductor Corp.', 'RealtekAPO', 'AudioProcessingObject', ['10/31/2023 13.259.1031.2023']],
      ['Synaptics', 'SynTP', 'Mouse', ['11/11/2022 19.5.35.73']],
      ['Synaptics', 'SynRMIHID', 'HIDClass', ['11/11/2022 19.5.35.73']],
      ['Synaptics FP Sensors', 'WbioSrvc', 'Biometric', ['05/22/2023 6.0.60.1121']],
      ['Goodix', 'GoodixFPSensor', 'Biometric', ['03/02/2023 3.12.804.40']],
      ['Qualcomm', 'Qcamain10x64', 'Net', ['06/10/2022 12.0.0.1142']],
      ['MediaTek, Inc.', 'mtkwlex', 'Net', ['11/16/2023 3.3.0.893']],
      ['Sony Corporation', 'PaSoRiDriver', 'SmartCardReader', ['06/01/2021 2.0.0.4']],
      ['Microsoft', 'WUDFRd', 'SmartCardReader', ['06/21/2006 10.0.22621.1']],
      ['Alcor Micro Corp.', 'AmUStor', 'SCSIAdapter', ['07/30/2021 1.0.89.23185']],
      ['Genesys Logic', 'GLUSB', 'USB', ['02/15/2022 1.2.7.0']],
      ['Elan', 'ETD', 'Mouse', ['05/11/2023 19.6.2.1']],
      ['Chicony Electronics Co., Ltd.', 'CAMERA', 'Camera', ['09/01/2022 30.22621.3233.10']],
      ['SunplusIT Inc.', 'SPUVCbv', 'Camera', ['07/18/2023 3.8.9.10']],
      ['Microsoft', 'cxcmdsvc', 'SoftwareComponent', ['12/05/2022 1.0.0.9']],
      ['Waves', 'WavesAPO', 'AudioProcessingObject', ['04/12/2023 13.8.1.0']],
      ['Dolby', 'DolbyAPO', 'SoftwareComponent', ['09/19/2023 3.30501.640.0']],
    ] as const
  ).map(([provider, service, cls, versions]) => driverPackage(provider, service, cls, versions, 0.75)),
  ...(
    [
      ['LENOVO', 'Lenovo', ['IBMPMDRV', 'LenovoVhid', 'LenovoFnAndFunctionKeys', 'LenovoPM', 'LenovoUSBAudio', 'ThinkPadUSBC', 'LnvUtilsFw', 'LenovoAcpiVpc']],
      ['FUJITSU', 'FUJITSU CLIENT COMPUTING LIMITED', ['FJHKSWITCH', 'FJBTNDRV', 'FJSMART', 'FJPWRUTL', 'FJAPMAG', 'FJSCUTIL']],
      ['NEC', 'NEC Personal Computers, Ltd.', ['NECAPSRV', 'NECHKEY', 'NECPWRS', 'NECBTSW', 'NECCAMSHT']],
      ['Dynabook', 'Dynabook Inc.', ['DBHWSUP', 'DBFNKEY', 'DBECO', 'DBPWRSV', 'DBKBLIGHT']],
      ['Panasonic', 'Panasonic Connect Co., Ltd.', ['PCMCDRV', 'PNPWRCTL', 'PNHOTKEY', 'PNBATCHK', 'PNWIRELS']],
      ['Dell', 'Dell Inc.', ['DellSMBios', 'DDVDataCollector', 'DellOptimizer', 'DellInstrumentation']],
      ['HP', 'HP Inc.', ['HPAppHelperCap', 'HPDiagsCap', 'HPNetworkCap', 'HPSysInfoCap', 'HpqKbFiltr', 'HPCustomCapComp']],
    ] as const
  ).flatMap(([oem, provider, services]) =>
    services.map((service, i) => driverPackage(provider, service, i % 2 ? 'System' : 'SoftwareComponent', ['03/14/2023 1.0.0.12', '11/20/2023 1.0.1.7'], 0.9, oem)),
  ),
];

// Visual C++ runtimes: every PC collects a dozen over the years.
const VCREDIST: Title[] = [
  ['2005', '8.0.61001', 'msi32', 0.55],
  ['2008', '9.0.30729.6161', 'msi32', 0.7],
  ['2010  x86', '10.0.40219', 'msi32', 0.75],
  ['2010  x64', '10.0.40219', 'msi', 0.7],
  ['2012 Redistributable (x86) - 11.0.61030', '11.0.61030.0', 'key32', 0.8],
  ['2012 Redistributable (x64) - 11.0.61030', '11.0.61030.0', 'key32', 0.75],
  ['2013 Redistributable (x86) - 12.0.40664', '12.0.40664.0', 'key32', 0.85],
  ['2013 Redistributable (x64) - 12.0.40664', '12.0.40664.0', 'key32', 0.8],
].map(([year, version, kind, share]) => {
  const name = (year as string).includes('Redistributable')
    ? `Microsoft Visual C++ ${year as string}`
    : `Microsoft Visual C++ ${year as string} Redistributable${(year as string).length > 4 ? '' : ' - x86'}`;
  return t(kind as TitleKind, name.replace('  ', ' '), MS, [version as string], share as number);
});
VCREDIST.push(
  t('key32', 'Microsoft Visual C++ 2015-2022 Redistributable (x86) - {v}', MS, ['14.38.33135.0', '14.40.33816.0', '14.42.34433.0'], 0.97),
  t('key32', 'Microsoft Visual C++ 2015-2022 Redistributable (x64) - {v}', MS, ['14.38.33135.0', '14.40.33816.0', '14.42.34433.0'], 0.97),
);

// .NET runtimes come in families of four or five entries per version and architecture.
const DOTNET: Title[] = [];
for (const [major, versions, share] of [
  ['6.0', ['6.0.33', '6.0.35', '6.0.36'], 0.35],
  ['8.0', ['8.0.8', '8.0.10', '8.0.11'], 0.6],
] as const) {
  for (const arch of ['x64', 'x86']) {
    const s = arch === 'x64' ? share : share * 0.6;
    DOTNET.push(
      t('msi', `Microsoft .NET Runtime - {v} (${arch})`, MS, versions, s),
      t('msi', `Microsoft Windows Desktop Runtime - {v} (${arch})`, MS, versions, s),
      t('msi', `Microsoft .NET Host - {v} (${arch})`, MS, versions, s),
      t('msi', `Microsoft .NET Host FX Resolver - {v} (${arch})`, MS, versions, s),
    );
  }
  DOTNET.push(t('msi', `Microsoft ASP.NET Core {v} - Shared Framework (x64)`, MS, versions.map((v) => v), share * 0.3));
  DOTNET.push(t('msi', `Microsoft ASP.NET Core Module V2 - ${major}`, MS, versions.map((v) => `18.0.${v.split('.')[2]}`), share * 0.15));
}

const MICROSOFT: Title[] = [
  t('key', 'Microsoft 365 Apps for enterprise - ja-jp', MS, ['16.0.17328.20550', '16.0.17928.20216', '16.0.18129.20158'], 0.72, { key: 'O365ProPlusRetail - ja-jp', path: 'C:\\Program Files\\Microsoft Office' }),
  t('key', 'Microsoft Office Professional Plus 2019 - ja-jp', MS, ['16.0.10411.20011', '16.0.10416.20058'], 0.2, { key: 'ProPlus2019Volume - ja-jp', path: 'C:\\Program Files\\Microsoft Office' }),
  t('key', 'Microsoft OneNote - ja-jp', MS, ['16.0.17928.20216', '16.0.18129.20158'], 0.55, { key: 'OneNoteFreeRetail - ja-jp' }),
  t('key', 'Microsoft Project Professional 2021 - ja-jp', MS, ['16.0.17928.20216'], 0.03, { key: 'ProjectPro2021Volume - ja-jp' }),
  t('key', 'Microsoft Visio Professional 2021 - ja-jp', MS, ['16.0.17928.20216'], 0.03, { key: 'VisioPro2021Volume - ja-jp' }),
  t('msi', 'Office 16 Click-to-Run Localization Component', MS, ['16.0.17928.20216', '16.0.18129.20158'], 0.7),
  t('msi', 'Office 16 Click-to-Run Licensing Component', MS, ['16.0.17928.20216', '16.0.18129.20158'], 0.7),
  t('msi', 'Office 16 Click-to-Run Extensibility Component 64-bit Registration', MS, ['16.0.17928.20216'], 0.7),
  t('msi', 'Microsoft Teams Meeting Add-in for Microsoft Office', MS, ['1.24.14501', '1.24.25502', '1.25.00101'], 0.75),
  t('msi32', 'Teams Machine-Wide Installer', MS, ['1.5.0.30767', '1.7.0.1864'], 0.3),
  t('user', 'Microsoft OneDrive', MS, ['24.101.0519.0010', '24.201.1006.0005', '25.010.0119.0002'], 0.95, { key: 'OneDriveSetup.exe', path: 'C:\\Users\\{user}\\AppData\\Local\\Microsoft\\OneDrive\\' }),
  t('key32', 'Microsoft Edge', MS, ['130.0.2849.80', '131.0.2903.86', '132.0.2957.127'], 1, { key: 'Microsoft Edge', path: 'C:\\Program Files (x86)\\Microsoft\\Edge\\Application' }),
  t('key32', 'Microsoft Edge WebView2 ランタイム', MS, ['130.0.2849.80', '131.0.2903.86', '132.0.2957.127'], 0.98, { key: 'Microsoft EdgeWebView' }),
  t('key32', 'Microsoft Edge Update', null, ['1.3.195.31', '1.3.195.43'], 0.98, { key: 'Microsoft Edge Update' }),
  t('msi', 'Microsoft Update Health Tools', MS, ['3.74.0.0', '5.72.0.0'], 0.9),
  t('msi', 'Update for x64-based Windows Systems (KB5001716)', MS, ['8.94.0.0'], 0.6),
  t('msi', 'Windows PC 正常性チェック', MS, ['3.7.2204.15001', '3.9.2402.14001'], 0.45),
  t('msi', 'Microsoft GameInput', MS, ['10.1.22621.3036', '10.1.26100.3036'], 0.5),
  t('msi', 'Microsoft Policy Platform', MS, ['68.1.1010.0'], 0.35),
  t('msi', 'Configuration Manager Client', MS, ['5.00.9122.1000', '5.00.9128.1000'], 0.35),
  t('msi', 'Microsoft Intune Management Extension', MS, ['1.82.102.0', '1.83.107.0'], 0.25),
  t('msi', 'Local Administrator Password Solution', MS, ['6.2.0.0'], 0.3),
  t('msi', 'Microsoft Visual Studio Tools for Applications 2019', MS, ['16.0.31110'], 0.1),
  t('msi', 'Microsoft Access database engine 2016 (Japanese)', MS, ['16.0.5044.1000'], 0.15),
  t('msi32', 'Microsoft Silverlight', MS, ['5.1.50918.0'], 0.05),
  t('user', 'Microsoft Visual Studio Code (User)', MS, ['1.94.2', '1.95.3', '1.96.2'], 0.12, { key: '{771FD6B0-FA20-440A-A002-3B3BAC16DC50}_is1', path: 'C:\\Users\\{user}\\AppData\\Local\\Programs\\Microsoft VS Code\\' }),
  t('msi', 'Power BI Desktop (x64)', MS, ['2.136.1202.0', '2.138.1203.0'], 0.04),
  t('key', 'Microsoft Remote Desktop', MS, ['1.2.5713.0', '1.2.5807.0'], 0.1, { key: 'RemoteDesktop' }),
];

const BROWSERS_AND_TOOLS: Title[] = [
  t('key', 'Google Chrome', 'Google LLC', ['130.0.6723.117', '131.0.6778.205', '132.0.6834.111'], 0.7, { key: 'Google Chrome', path: 'C:\\Program Files\\Google\\Chrome\\Application' }),
  t('key', 'Mozilla Firefox ({v} x64 ja)', 'Mozilla', ['128.5.1esr', '133.0.3', '134.0.2'], 0.3, { key: 'Mozilla Firefox (x64 ja)', path: 'C:\\Program Files\\Mozilla Firefox' }),
  t('key', 'Mozilla Maintenance Service', 'Mozilla', ['128.5.1', '133.0.3'], 0.3, { key: 'MozillaMaintenanceService' }),
  t('msi', 'Adobe Acrobat (64-bit)', 'Adobe', ['24.003.20180', '24.004.20272', '24.005.20320'], 0.75),
  t('msi32', 'Adobe Acrobat Reader DC - Japanese', 'Adobe Systems Incorporated', ['23.008.20470', '24.002.21005'], 0.15),
  t('key32', 'Adobe Genuine Service', 'Adobe Inc.', ['8.4.0.63', '8.5.0.57'], 0.4, { key: 'AdobeGenuineService' }),
  t('msi32', 'Adobe Refresh Manager', 'Adobe Systems Incorporated', ['1.8.0'], 0.5),
  t('msi32', 'Java 8 Update {v}', 'Oracle Corporation', ['401', '421', '431'], 0.25),
  t('msi', 'Java(TM) SE Development Kit 17.0.{v} (64-bit)', 'Oracle Corporation', ['10', '12', '13'], 0.04),
  t('key', '7-Zip {v} (x64)', 'Igor Pavlov', ['23.01', '24.08', '24.09'], 0.45, { key: '7-Zip', path: 'C:\\Program Files\\7-Zip\\' }),
  t('key32', 'Lhaplus', 'Schezo', ['1.74', '1.80'], 0.5, { key: 'Lhaplus', path: 'C:\\Program Files (x86)\\Lhaplus\\' }),
  t('key', 'CubeICE {v} (x64)', 'CubeSoft', ['3.5.1', '3.6.0'], 0.2, { key: 'CubeICE' }),
  t('key', 'CubePDF {v} (x64)', 'CubeSoft', ['4.1.1', '4.2.0', '4.3.0'], 0.5, { key: 'CubePDF' }),
  t('key', 'CubePDF Utility {v} (x64)', 'CubeSoft', ['3.1.0', '3.2.0'], 0.2, { key: 'CubePDF Utility' }),
  t('key', 'Notepad++ (64-bit x64)', 'Notepad++ Team', ['8.6.9', '8.7', '8.7.4'], 0.2, { key: 'Notepad++', path: 'C:\\Program Files\\Notepad++' }),
  t('key', 'サクラエディタ', 'サクラエディタ開発プロジェクト', ['2.4.2.6048', '2.4.2.6102'], 0.25, { key: 'sakura editor_is1', path: 'C:\\Program Files (x86)\\sakura\\' }),
  t('key', '秀丸エディタ', '有限会社サイトー企画', ['9.35', '9.39', '9.41'], 0.15, { key: 'Hidemaru', path: 'C:\\Program Files\\Hidemaru\\' }),
  t('key32', 'TeraPad', 'Tera Net', ['1.09'], 0.08, { key: 'TeraPad' }),
  t('key', 'WinMerge {v} x64', 'Thingamahoochie Software', ['2.16.40.0', '2.16.44.0'], 0.08, { key: 'WinMerge_is1' }),
  t('msi', 'PuTTY release {v} (64-bit)', 'Simon Tatham', ['0.81.0.0', '0.82.0.0'], 0.05),
  t('key32', 'WinSCP {v}', 'Martin Prikryl', ['6.3.4', '6.3.6'], 0.05, { key: 'winscp3_is1' }),
  t('key', 'Tera Term {v}', 'TeraTerm Project', ['5.2', '5.3'], 0.05, { key: '{07A7E17A-F6D6-44A7-82E6-6BEE528CCA2A}_is1' }),
  t('key', 'Git', 'The Git Development Community', ['2.46.0', '2.47.1'], 0.04, { key: 'Git_is1', path: 'C:\\Program Files\\Git\\' }),
  t('msi', 'Python {v} (64-bit)', 'Python Software Foundation', ['3.12.7', '3.13.1'], 0.04),
  t('key', 'VLC media player', 'VideoLAN', ['3.0.20', '3.0.21'], 0.15, { key: 'VLC media player' }),
  t('key', 'KeePass Password Safe {v}', 'Dominik Reichl', ['2.56', '2.57.1'], 0.06, { key: 'KeePassPasswordSafe2_is1' }),
  t('msi', 'Zoom Workplace (64-bit)', 'Zoom Video Communications, Inc.', ['6.2.7.49583', '6.3.1.53612'], 0.35),
  t('user', 'Zoom Workplace', 'Zoom Video Communications, Inc.', ['6.2.11 (51200)', '6.3.1 (53612)'], 0.15, { key: 'ZoomUMX', path: 'C:\\Users\\{user}\\AppData\\Roaming\\Zoom\\bin' }),
  t('msi32', 'Cisco Webex Meetings', 'Cisco Webex LLC', ['44.10.2', '44.12.0'], 0.15),
  t('user', 'Slack', 'Slack Technologies Inc.', ['4.40.128', '4.41.105'], 0.05, { key: 'slack', path: 'C:\\Users\\{user}\\AppData\\Local\\slack' }),
  t('msi', 'LINE WORKS', 'LINE WORKS Corp.', ['3.9.0', '4.0.1'], 0.12),
  t('msi', 'Box', 'Box, Inc.', ['2.40.345', '2.41.228'], 0.1),
  t('msi', 'Google Drive', 'Google LLC', ['98.0.2.0', '101.0.3.0'], 0.05),
  t('msi', 'Cisco Secure Client - AnyConnect VPN', 'Cisco Systems, Inc.', ['5.1.4.74', '5.1.6.103'], 0.25),
  t('msi', 'FortiClient VPN', 'Fortinet Technologies Inc', ['7.2.4.0972', '7.4.1.1736'], 0.15),
  t('msi', 'TeamViewer Host', 'TeamViewer', ['15.58.5', '15.60.3'], 0.05),
  t('msi', 'iTunes', 'Apple Inc.', ['12.13.2.3'], 0.04),
  t('msi', 'Apple Mobile Device Support', 'Apple Inc.', ['17.0.0.37'], 0.05),
  t('msi', 'Bonjour', 'Apple Inc.', ['3.1.0.1'], 0.06),
  t('key', 'Wireshark {v} x64', 'The Wireshark developer community, https://www.wireshark.org', ['4.2.8', '4.4.2'], 0.02, { key: 'Wireshark' }),
  t('key32', 'Foxit PDF Reader', 'Foxit Software Inc.', ['2024.3.0.26795', '2024.4.0.27683'], 0.06, { key: 'Foxit Reader_is1' }),
  t('key32', 'PDF-XChange Editor', 'PDF-XChange Co Ltd.', ['10.4.3.391', '10.5.0.393'], 0.03, { key: 'PDF-XChange Editor' }),
];

// Software of Japanese publishers that a local-government PC typically carries.
const JAPANESE: Title[] = [
  t('msi', '一太郎2024', JUST, ['34.0.1', '34.0.3', '34.0.4'], 0.6),
  t('msi', '一太郎2023', JUST, ['33.0.2', '33.0.4'], 0.1),
  t('msi32', 'ATOK 2024 for Windows', 'JustSystems Corporation', ['34.0.0', '34.1.0'], 0.6),
  t('msi', '花子2024', JUST, ['34.0.1', '34.0.2'], 0.2),
  t('msi', 'JUST PDF 5', JUST, ['5.0.2', '5.0.4'], 0.12),
  t('msi', '一太郎ビューア', JUST, ['34.0.1'], 0.5),
  t('msi', 'Shuriken 2021', JUST, ['21.0.4'], 0.03),
  t('key', 'ウイルスバスター クラウド', 'トレンドマイクロ株式会社', ['17.8.1246', '17.8.1357'], 0.05, { key: 'Trend Micro Titanium' }),
  t('msi', 'Trend Micro Apex One Security Agent', 'Trend Micro Inc.', ['14.0.13140', '14.0.14203'], 0.45),
  t('msi', 'ESET Endpoint Security', 'ESET, spol. s r.o.', ['11.0.2044.0', '11.1.2039.0'], 0.25),
  t('msi', 'ESET Management Agent', 'ESET, spol. s r.o.', ['11.0.1230.0', '11.1.1030.0'], 0.25),
  t('msi', 'SKYSEA Client View', 'Sky株式会社', ['19.2.100.8', '19.3.100.2'], 0.6),
  t('msi', 'LanScope Cat MR', 'エムオーテックス株式会社', ['9.4.2.0', '9.5.0.0'], 0.25),
  t('msi', '弥生会計 25', '弥生株式会社', ['31.0.1', '31.1.0'], 0.06),
  t('msi', '弥生給与 25', '弥生株式会社', ['26.0.1'], 0.04),
  t('msi32', '筆まめVer.35', '株式会社筆まめ', ['35.0.0.25', '35.0.3.8'], 0.08),
  t('key', 'e-Taxソフト', '国税庁', ['1.20.0', '1.21.0'], 0.05, { key: 'e-Tax', path: 'C:\\e-Tax\\' }),
  t('user', 'e-Taxソフト（ダウンロード版）', '国税庁', ['1.20.0', '1.21.0'], 0.03, { key: 'e-Tax', path: 'C:\\Users\\{user}\\AppData\\Local\\e-Tax\\' }),
  t('msi32', 'PCdesk(DL版)', '地方税共同機構', ['12.0.0', '12.1.0'], 0.08),
  t('msi32', '利用者クライアントソフト', '地方公共団体情報システム機構', ['4.1.1.0', '4.2.0.0'], 0.5),
  t('msi32', 'JPKI利用者ソフト', '地方公共団体情報システム機構', ['4.2.0.0', '4.3.0.0'], 0.5),
  t('msi32', '電子入札補助アプリ', '一般財団法人 日本建設情報総合センター', ['1.2.0', '1.3.1'], 0.06),
  t('msi', 'DocuWorks 9.1', '富士フイルムビジネスイノベーション株式会社', ['9.1.6', '9.1.7'], 0.2),
  t('msi', 'DocuWorks Viewer Light 9.1', '富士フイルムビジネスイノベーション株式会社', ['9.1.6', '9.1.7'], 0.5),
  t('msi', 'ApeosWare Management Suite Client', '富士フイルムビジネスイノベーション株式会社', ['2.1.1'], 0.08),
  t('key32', 'Lhaz', 'ChitaSoft', ['2.5.1'], 0.06, { key: 'Lhaz' }),
  t('key', '+Lhaca', 'Kazuki Yokota', ['1.20'], 0.04, { key: '+Lhaca' }),
  t('msi', '楽々はがき 2025', 'マスターソフト', ['25.0.1'], 0.02),
  t('msi', 'ソフトウェアナビゲーター', 'NEC Personal Computers, Ltd.', ['12.0.4.1', '12.1.0.0'], 0.1),
  t('msi', 'Let\'snote 電源プラン設定ユーティリティ', 'Panasonic Connect Co., Ltd.', ['7.100.1100.0'], 0.05),
  t('msi', 'dynabook サービスステーション', 'Dynabook Inc.', ['5.6.0.0'], 0.06),
  t('msi', '富士通アドバイザー', 'FUJITSU CLIENT COMPUTING LIMITED', ['6.0.7.0'], 0.08),
  t('msi', 'ATOK 法律・公用文辞書', JUST, ['34.0.0'], 0.06),
  t('msi', '住民情報システム 端末クライアント', '株式会社 TKC', ['6.5.2', '6.6.0'], 0.15),
  t('msi', '財務会計システム クライアント', '富士通Japan株式会社', ['3.4.0', '3.5.1'], 0.12),
  t('msi32', '文書管理システム クライアント', '株式会社ぎょうせい', ['8.2.1.0'], 0.1),
];

// Drivers and OEM utilities (one of several PC makers per machine, chosen by share).
const DRIVERS: Title[] = [
  t('msi', 'Intel(R) Management Engine Components', 'Intel Corporation', ['2228.4.2.0', '2345.5.42.0'], 0.6),
  t('msi', 'Intel(R) Chipset Device Software', 'Intel(R) Corporation', ['10.1.19444.8378', '10.1.19627.8423'], 0.55),
  t('key', 'Intel® Graphics Driver', 'Intel Corporation', ['31.0.101.4255', '31.0.101.5594', '32.0.101.6314'], 0.6, { key: '{F0E3AD40-2BBD-4360-9C76-B9AC9A5886EA}' }),
  t('msi', 'Intel(R) Wireless Bluetooth(R)', 'Intel Corporation', ['23.60.0.1', '23.80.0.3'], 0.45),
  t('msi', 'Intel(R) PROSet/Wireless Software', 'Intel Corporation', ['23.60.0', '23.80.0'], 0.35),
  t('msi', 'Intel(R) Serial IO', 'Intel Corporation', ['30.100.2237.17'], 0.35),
  t('msi', 'Intel(R) Rapid Storage Technology', 'Intel Corporation', ['19.5.1.1040'], 0.2),
  t('msi', 'Intel(R) Dynamic Tuning Technology', 'Intel Corporation', ['9.0.11901.36189'], 0.25),
  t('key32', 'Realtek High Definition Audio Driver', 'Realtek Semiconductor Corp.', ['6.0.9239.1', '6.0.9549.1'], 0.45, { key: '{F132AF7F-7BCA-4EDE-8A7C-958108FE7DBC}' }),
  t('key32', 'Realtek Card Reader', 'Realtek Semiconductor Corp.', ['10.0.22000.31274'], 0.25, { key: '{96AE7E41-E34E-47D0-AC07-1091A8127911}' }),
  t('key32', 'Realtek Ethernet Controller Driver', 'Realtek', ['10.68.815.2023', '10.71.314.2024'], 0.3, { key: '{8833FFB6-5B0C-4764-81AA-06DFEED9A476}' }),
  t('key', 'NVIDIA グラフィックス ドライバー {v}', 'NVIDIA Corporation', ['552.44', '566.36'], 0.1, { key: '{B2FE1952-0186-46C3-BAEC-A80AA35AC5B8}_Display.Driver' }),
  t('key', 'NVIDIA HD オーディオ ドライバー 1.4.0.1', 'NVIDIA Corporation', ['1.4.0.1'], 0.1, { key: '{B2FE1952-0186-46C3-BAEC-A80AA35AC5B8}_HDAudio.Driver' }),
  t('key', 'Synaptics Pointing Device Driver', 'Synaptics Incorporated', ['19.5.35.73'], 0.15, { key: 'SynTPDeinstKey' }),
  t('msi', 'ELAN Touchpad {v} X64 WHQL', 'ELAN Microelectronic Corp.', ['19.4.1.5', '19.6.2.1'], 0.1),
  t('msi', 'Lenovo Vantage Service', 'Lenovo Group Ltd.', ['4.2.29.0', '4.3.58.0'], 0.15),
  t('msi', 'Lenovo System Update', 'Lenovo', ['5.08.03.59'], 0.12),
  t('msi', 'Dell Command | Update', 'Dell Inc.', ['5.4.0', '5.5.0'], 0.1),
  t('msi', 'Dell SupportAssist OS Recovery Plugin for Dell Update', 'Dell Inc.', ['5.5.13.16406'], 0.08),
  t('msi', 'HP Support Assistant', 'HP Inc.', ['9.38.31.0', '9.40.8.0'], 0.1),
  t('msi', 'HP Wolf Security', 'HP Inc.', ['4.6.7.445'], 0.08),
  t('msi', 'Microsoft Surface Diagnostic Toolkit', MS, ['2.194.139.0'], 0.02),
];

const PRINTERS: Title[] = [
  t('key', 'RICOH PCL6 UniversalDriver V4.39', 'RICOH', ['4.39.0.0', '4.41.0.0'], 0.4, { key: 'RICOH_PCL6_UD' }),
  t('key', 'Canon Generic Plus PCL6', 'Canon Inc.', ['3.10', '3.20'], 0.3, { key: 'Canon Generic Plus PCL6' }),
  t('key', 'FUJIFILM PCL 6 Printer Driver', 'FUJIFILM Business Innovation Corp.', ['7.9.0.0'], 0.25, { key: 'FFPCL6' }),
  t('key', 'KONICA MINOLTA Universal PCL', 'KONICA MINOLTA', ['3.9.92.0'], 0.1, { key: 'KMUPD PCL' }),
  t('key', 'SHARP Printer Driver', 'SHARP CORPORATION', ['1.1.0.22'], 0.1, { key: 'SHARP MFP Driver' }),
  t('key', 'EPSON Scan 2', 'Seiko Epson Corporation', ['6.5.7.0', '6.5.29.0'], 0.12, { key: 'EPSON Scan 2' }),
  t('key', 'EPSON プリンターウィンドウ!3', 'SEIKO EPSON Corporation', ['7.2.0'], 0.08, { key: 'EPSON Printer Window' }),
  t('key', 'Canon IJ Scan Utility', 'Canon Inc.', ['2.3.10'], 0.06, { key: 'CanonIJScanUtility' }),
  t('msi', 'Brother MFL-Pro Suite', 'Brother Industries, Ltd.', ['1.2.0.0'], 0.06),
  t('msi32', 'KYOCERA Client Tool', 'KYOCERA Document Solutions Inc.', ['3.4.0711'], 0.05),
];

// Developer tools and SDK components: few PCs have them, but those that do add dozens of entries.
const SDK: Title[] = [];
for (const component of [
  'Windows SDK AddOn',
  'Windows Software Development Kit - Windows 10.0.22621.3233',
  'Universal CRT Tools x64',
  'Universal CRT Headers Libraries and Sources',
  'Windows SDK for Windows Store Apps Tools',
  'Windows SDK Desktop Tools x64',
  'Windows SDK Desktop Headers x64',
  'Windows SDK Desktop Libs x64',
  'Windows SDK Signing Tools',
  'WinRT Intellisense Desktop - en-us',
  'Microsoft Visual Studio Installer',
  'Visual Studio Build Tools 2022',
  'vs_CoreEditorFonts',
  'vs_devenvsharedmsi',
  'vs_minshellsharedmsi',
  'Microsoft .NET Framework 4.8.1 SDK',
  'Microsoft .NET Framework 4.8.1 Targeting Pack',
  'Microsoft .NET Framework 4.8.1 Targeting Pack (日本語)',
  'Microsoft Windows Desktop Targeting Pack - 8.0.11 (x64)',
  'Microsoft.NET.Workload.Emscripten.net8.Manifest (x64)',
  'Python 3.12.7 Core Interpreter (64-bit)',
  'Python 3.12.7 Standard Library (64-bit)',
  'Python 3.12.7 pip Bootstrap (64-bit)',
  'Python 3.12.7 Tcl/Tk Support (64-bit)',
  'Python 3.12.7 Executables (64-bit)',
  'Python 3.12.7 Development Libraries (64-bit)',
  'Python 3.12.7 Documentation (64-bit)',
  'Python 3.12.7 Utility Scripts (64-bit)',
  'Python 3.12.7 Test Suite (64-bit)',
  'Python 3.12.7 Add to Path (64-bit)',
  'Python Launcher',
  'Node.js',
  'Docker Desktop',
  'Microsoft SQL Server Management Studio - 20.2',
  'Microsoft ODBC Driver 17 for SQL Server',
  'Microsoft OLE DB Driver for SQL Server',
  'Microsoft SQL Server 2019 LocalDB ',
  'SQL Server Management Studio Language Pack - 日本語',
  'Azure Data Studio',
  'PowerShell 7-x64',
]) {
  const publisher = component.startsWith('Python') ? 'Python Software Foundation' : component === 'Node.js' ? 'Node.js Foundation' : component === 'Docker Desktop' ? 'Docker Inc.' : MS;
  SDK.push(t('msi', component, publisher, ['10.1.22621.3233', '10.1.22621.4391'], 0.9, { developer: true }));
}

// Small utilities: each is on a minority of PCs, together a good part of every inventory.
const UTILITIES: Title[] = [
  ['Everything {v} (x64)', 'voidtools', ['1.4.1.1024', '1.4.1.1026'], 0.1],
  ['Greenshot {v}', 'Greenshot', ['1.2.10.6', '1.3.274'], 0.06],
  ['ShareX', 'ShareX Team', ['16.1.0', '17.0.0'], 0.03],
  ['IrfanView {v} (64-bit)', 'Irfan Skiljan', ['4.67', '4.70'], 0.05],
  ['Paint.NET', 'dotPDN LLC', ['5.0.13', '5.1.2'], 0.04],
  ['GIMP {v}', 'The GIMP Team', ['2.10.38'], 0.03],
  ['Inkscape', 'Inkscape', ['1.3.2', '1.4.0'], 0.02],
  ['LibreOffice {v}', 'The Document Foundation', ['24.2.7.2', '24.8.4.2'], 0.06],
  ['Audacity {v}', 'Audacity Team', ['3.6.4', '3.7.1'], 0.02],
  ['HandBrake', 'HandBrake Team', ['1.8.2', '1.9.0'], 0.01],
  ['CrystalDiskInfo {v}', 'Crystal Dew World', ['9.4.4', '9.5.0'], 0.04],
  ['CrystalDiskMark {v}', 'Crystal Dew World', ['8.0.5', '8.0.6'], 0.02],
  ['Rufus', 'Akeo Consulting', ['4.5', '4.6'], 0.01],
  ['FileZilla {v}', 'Tim Kosse', ['3.67.1', '3.68.1'], 0.03],
  ['FFFTP', 'FFFTP Project', ['5.8'], 0.03],
  ['WinZip {v}', 'Corel Corporation', ['28.0.15620', '29.0.16250'], 0.02],
  ['Bandizip', 'Bandisoft.com', ['7.35', '7.36'], 0.04],
  ['Explzh for Windows', 'pon software', ['9.84', '9.90'], 0.05],
  ['Google 日本語入力', 'Google LLC', ['2.30.5544.102', '2.30.5620.100'], 0.05],
  ['Thunderbird ({v} x64 ja)', 'Mozilla', ['128.5.2esr', '128.6.0esr'], 0.06],
  ['Becky! Internet Mail', 'RimArts', ['2.81.04', '2.81.05'], 0.03],
  ['Sleipnir 6', 'Fenrir Inc.', ['6.5.11', '6.5.12'], 0.01],
  ['ScanSnap Home', 'PFU Limited', ['2.21.0', '2.22.0'], 0.08],
  ['ScanSnap Manager', 'PFU Limited', ['7.2.70.3'], 0.03],
  ['Webex', 'Cisco Systems, Inc', ['44.10.2.31237', '44.12.0.31359'], 0.1],
  ['Chatwork', 'Chatwork Co., Ltd.', ['2.6.39', '2.7.2'], 0.03],
  ['Dropbox', 'Dropbox, Inc.', ['211.4.6008', '214.4.5225'], 0.03],
  ['Evernote {v}', 'Evernote Corporation', ['10.113.4', '10.120.5'], 0.02],
  ['Skype バージョン {v}', 'Skype Technologies S.A.', ['8.129', '8.134'], 0.03],
  ['Sophos Connect', 'Sophos Limited', ['2.3.0'], 0.03],
  ['GlobalProtect', 'Palo Alto Networks', ['6.2.4', '6.2.6'], 0.05],
  ['Citrix Workspace {v}', 'Citrix Systems, Inc.', ['2405', '2409'], 0.06],
  ['VMware Horizon Client', 'Omnissa, LLC', ['8.13.0', '8.14.0'], 0.06],
  ['AnyDesk', 'AnyDesk Software GmbH', ['8.1.0', '9.0.2'], 0.02],
  ['Microsoft Garage Mouse without Borders', MS, ['2.2.1.327'], 0.02],
  ['PowerToys (Preview) x64', 'Microsoft Corporation', ['0.85.1', '0.87.1'], 0.04],
  ['Sysinternals Suite', 'Sysinternals - www.sysinternals.com', ['2024.11.11'], 0.02],
  ['CPUID CPU-Z {v}', 'CPUID, Inc.', ['2.10', '2.12'], 0.03],
  ['HWiNFO64 Version {v}', 'Martin Malík - REALiX', ['8.10', '8.14'], 0.02],
  ['ImgBurn', 'LIGHTNING UK!', ['2.5.8.0'], 0.02],
  ['CyberLink PowerDVD 14', 'CyberLink Corp.', ['14.0.7827.58'], 0.08],
  ['CyberLink Power2Go 8', 'CyberLink Corp.', ['8.0.13216.0'], 0.06],
  ['Windows Driver Package - Lenovo (WUDFRd) LenovoVhid  (01/17/2023 2.2.1.5)', 'Lenovo', ['01/17/2023 2.2.1.5'], 0.08],
  ['Windows ドライバー パッケージ - FUJITSU (SmartCardReader) SmartCardReader  (06/01/2021 2.0.0.4)', 'FUJITSU', ['06/01/2021 2.0.0.4'], 0.05],
  ['SecureCore Tiano BIOS Flash Utility', 'Phoenix Technologies Ltd.', ['1.1.0.0'], 0.03],
  ['ICカードリーダー ドライバ (PaSoRi)', 'Sony Corporation', ['5.3.0.0'], 0.5],
  ['NFCポートソフトウェア', 'Sony Corporation', ['5.6.1.3', '5.7.0.2'], 0.5],
  ['SmartOn ID クライアント', 'ソリトンシステムズ', ['4.6.1.0'], 0.06],
  ['AssetView クライアント', '株式会社ハンモック', ['12.4.0'], 0.05],
  ['i-FILTER Browser & Cloud', 'デジタルアーツ株式会社', ['4.50.0.0'], 0.4],
  ['FinalCode Client', 'デジタルアーツ株式会社', ['6.40.0.0'], 0.04],
  ['InterSafe ILP クライアント', 'アルプス システム インテグレーション株式会社', ['5.2.0'], 0.03],
  ['Microsoft Whiteboard', MS, ['29.2410.10.0'], 0.03],
  ['Windows Admin Center', MS, ['2.4.2410.14002'], 0.01],
  ['Remote Server Administration Tools', MS, ['10.0.22621.1'], 0.02],
  ['Intel® oneAPI Base Toolkit', 'Intel Corporation', ['2024.2.1'], 0.01],
  ['Kaspersky Endpoint Security for Windows', 'AO Kaspersky Lab', ['12.6.0.438'], 0.03],
  ['Symantec Endpoint Protection', 'Broadcom', ['14.3.10148.8000'], 0.04],
  ['Cortex XDR {v}', 'Palo Alto Networks', ['8.5.0.13286', '8.6.0.14044'], 0.03],
  ['CrowdStrike Windows Sensor', 'CrowdStrike, Inc.', ['7.19.18913.0', '7.20.19113.0'], 0.03],
  ['Acronis Cyber Protect Agent', 'Acronis', ['15.0.38600'], 0.03],
  ['Veeam Agent for Microsoft Windows', 'Veeam Software Group GmbH', ['6.2.0.121', '6.3.0.177'], 0.02],
].map(([name, publisher, versions, share], i) =>
  t(i % 3 === 0 ? 'key' : i % 3 === 1 ? 'msi' : 'key32', name as string, publisher as string, versions as string[], share as number, { key: (name as string).replace(/ \{v\}.*/, '').replace(/\s+/g, '') }),
);

// Runtimes that the office's business systems (住民情報, 財務会計, 文書管理…) still require.
const LEGACY_RUNTIMES: Title[] = (
  [
    ['msi', 'Microsoft Visual Studio 2010 Tools for Office Runtime (x64)', ['10.0.60917', '10.0.60922'], 0.85],
    ['msi', 'Microsoft Visual Studio 2010 Tools for Office Runtime 言語パック (x64)', ['10.0.60917'], 0.6],
    ['msi32', 'Microsoft Office 2010 Primary Interop Assemblies', ['14.0.4763.1000'], 0.45],
    ['msi32', 'Microsoft Report Viewer 2015 Runtime', ['12.0.2402.15'], 0.55],
    ['msi32', 'Microsoft Report Viewer Redistributable 2008 SP1', ['9.0.30731'], 0.35],
    ['msi', 'Microsoft System CLR Types for SQL Server 2014', ['12.0.2402.11'], 0.55],
    ['msi', 'Microsoft System CLR Types for SQL Server 2016', ['13.1.4001.0'], 0.4],
    ['msi', 'Microsoft SQL Server 2012 Native Client ', ['11.4.7462.6'], 0.6],
    ['msi', 'Microsoft ODBC Driver 17 for SQL Server', ['17.10.6.1'], 0.45],
    ['msi', 'Microsoft OLE DB Driver for SQL Server', ['18.7.4.0'], 0.3],
    ['msi32', 'Microsoft SQL Server Compact 4.0 SP1 x64 JPN', ['4.0.8876.1'], 0.25],
    ['msi32', 'Microsoft Visual Basic PowerPacks 10.0', ['10.0.30319'], 0.3],
    ['msi32', 'Crystal Reports Basic Runtime for Visual Studio 2008', ['10.5.0.0'], 0.25],
    ['msi', 'SAP Crystal Reports runtime engine for .NET Framework (64-bit)', ['13.0.33.4485', '13.0.35.4962'], 0.35],
    ['msi32', 'SAP Crystal Reports runtime engine for .NET Framework (32-bit)', ['13.0.33.4485', '13.0.35.4962'], 0.35],
    ['msi32', 'MSXML 4.0 SP3 Parser', ['4.30.2100.0', '4.30.2117.0'], 0.55],
    ['msi32', 'Microsoft XML Parser (MSXML) 6.0 日本語版', ['6.10.1129.0'], 0.2],
    ['msi32', 'Microsoft Sync Framework Runtime v1.0 SP1 (x86)', ['1.0.3010.0'], 0.2],
    ['msi32', 'Microsoft Visual J# 2.0 Redistributable Package - SE', ['2.0.50728'], 0.15],
    ['msi32', 'Microsoft Access 2016 Runtime (Japanese)', ['16.0.4519.1000'], 0.3],
    ['msi32', 'Microsoft Access database engine 2010 (Japanese)', ['14.0.7015.1000'], 0.3],
    ['msi32', 'Microsoft Visual C++ 2010 x86 Redistributable - 10.0.40219', ['10.0.40219'], 0.4],
    ['msi32', 'Microsoft .NET Framework 4 Multi-Targeting Pack', ['4.0.30319'], 0.1],
    ['msi32', 'Microsoft Office Access database engine 2007 (Japanese)', ['12.0.6612.1000'], 0.2],
    ['msi32', 'Adobe AIR', ['33.1.1.932'], 0.1],
    ['msi32', 'Adobe Flash Player 32 NPAPI', ['32.0.0.465'], 0.03],
    ['msi32', 'GrapeCity ActiveReports 16 Runtime', ['16.3.0.0'], 0.2],
    ['msi32', 'InputMan for Windows Forms 12.0J Runtime', ['12.0.4012.2012'], 0.15],
    ['msi32', 'SPREAD for Windows Forms 16.0J Runtime', ['16.0.2015.2012'], 0.15],
    ['msi32', 'Oracle Data Access Components 19c', ['19.3.0.0'], 0.2],
    ['msi', 'Oracle Instant Client 19.21 (64-bit)', ['19.21.0.0'], 0.2],
    ['msi32', 'IBM i Access Client Solutions', ['1.1.9.4'], 0.08],
    ['msi32', 'Java Auto Updater', ['2.8.401.10'], 0.2],
    ['msi32', 'Microsoft Silverlight SDK 日本語版', ['5.0.61118.0'], 0.02],
  ] as const
).map(([kind, name, versions, share]) => t(kind, name, name.startsWith('Microsoft') || name.startsWith('MSXML') ? MS : null, versions, share));

// Business systems by department (業務システム): each section runs its own few.
const DEPARTMENT_APPS: Title[] = (
  [
    ['SOMU', ['文書管理システム 起案端末', '例規集データベース ビューア', '人事給与システム クライアント', '庶務事務システム']],
    ['ZAISEI', ['財務会計システム 予算編成', '公有財産管理システム', '契約管理システム', '弥生会計 25']],
    ['SHIMIN', ['住民記録システム 窓口端末', '戸籍総合システム', 'コンビニ交付 管理端末', '印鑑登録システム', '証明書発行システム']],
    ['ZEIMU', ['個人住民税システム', '固定資産税評価システム', 'eLTAX PCdesk(WEB版)', '国税連携受信ソフト', '軽自動車税システム']],
    ['FUKUSHI', ['介護保険システム', '障害者福祉システム', '生活保護システム', '国保総合システム 端末']],
    ['KENKO', ['健康管理システム', '予防接種台帳システム', '母子保健システム']],
    ['KODOMO', ['子ども・子育て支援システム', '保育所入所選考システム', '児童手当システム']],
    ['DOBOKU', ['AutoCAD LT 2024 - 日本語 (Japanese)', 'Jw_cad', 'SXF Browser Ver3.31', '電子納品チェックシステム', 'V-nas Clair']],
    ['TOSHI', ['QGIS 3.34.12 \'Prizren\'', '都市計画GIS クライアント', 'SIS Map Viewer', 'AutoCAD LT 2024 - 日本語 (Japanese)']],
    ['KYOIKU', ['校務支援システム', '学齢簿システム', '就学援助システム']],
    ['JOHO', ['Wireshark 4.4.2 x64', 'Tera Term 5.3', 'WinSCP 6.3.6', 'SKYSEA Client View 管理機', 'Microsoft SQL Server Management Studio - 20.2', 'Remote Server Administration Tools', 'Microsoft Azure CLI (64-bit)']],
    ['KANKYO', ['ごみ収集管理システム', '環境測定データ管理']],
  ] as const
).flatMap(([department, names]) =>
  names.map((name, i) => t(i % 2 ? 'msi32' : 'msi', name, department === 'JOHO' ? null : '株式会社 地域情報システム', ['5.2.0.1', '5.3.1.0'], 0.9, { department })),
);

// The maker's own tools that come with each PC.
const OEM_TOOLS: Title[] = (
  [
    ['LENOVO', 'Lenovo', ['Lenovo Commercial Vantage', 'Lenovo Power Management Driver', 'Lenovo Hotkey Features Integration', 'ThinkPad UltraNav Driver', 'Lenovo Quick Clean', 'Lenovo Intelligent Thermal Solution', 'Lenovo Service Bridge', 'Lenovo Pen Settings']],
    ['FUJITSU', 'FUJITSU CLIENT COMPUTING LIMITED', ['Plugfree NETWORK', 'Fujitsu Display Manager', 'FUJITSU Software Info Manager', '電源ユーティリティ', 'Fujitsu Function Manager', 'バッテリーユーティリティ', '指紋センサーユーティリティ', '省電力ユーティリティ']],
    ['NEC', 'NEC Personal Computers, Ltd.', ['ECOモード設定ツール', 'NECシステムインフォメーション', 'ファンクションキー通知', 'バッテリ・リフレッシュ＆診断ツール', 'ワイヤレススイッチユーティリティ', 'マウス・タッチパッド設定', 'NEC Smart Settings']],
    ['Dynabook', 'Dynabook Inc.', ['dynabook 設定', 'TOSHIBA Function Key', 'TOSHIBA Password Utility', 'dynabook ECO Utility', 'TOSHIBA System Driver', 'dynabook セキュリティ機能ガイド', 'dynabook Smart Connect']],
    ['Panasonic', 'Panasonic Connect Co., Ltd.', ['Panasonic PC Settings Utility', 'Panasonic PC 電源プラン', 'Panasonic Hotkey Settings', 'バッテリー残量表示', 'Dashboard for Panasonic PC', 'Wireless Toolbox', 'PC情報ビューアー']],
    ['Dell', 'Dell Inc.', ['Dell Optimizer', 'Dell SupportAssist', 'Dell Command | Configure', 'Dell Power Manager Service', 'Dell Digital Delivery Services', 'Dell Trusted Device Agent', 'Dell Peripheral Manager']],
    ['HP', 'HP Inc.', ['HP Sure Click', 'HP Sure Sense', 'HP Notifications', 'HP Easy Clean', 'HP Privacy Settings', 'HP Connection Optimizer', 'HP Audio Switch', 'HP Support Solutions Framework']],
  ] as const
).flatMap(([oem, publisher, names]) => names.map((name, i) => t(i % 3 === 2 ? 'key32' : 'msi', name, publisher, ['1.0.3.2', '1.1.0.8', '2.0.1.4'], 0.85, { oem, key: name })));

// Fonts, language and input tools that Japanese offices add to the standard image.
const FONTS_AND_INPUT: Title[] = (
  [
    ['IPAex フォント', 'IPA', ['004.01'], 0.4],
    ['モリサワ UDフォント セット', 'モリサワ', ['2.1.0'], 0.15],
    ['RICOH 印刷設定ツール', 'RICOH', ['1.4.0.0'], 0.3],
    ['Microsoft 365 Apps for enterprise - en-us', MS, ['16.0.17928.20216', '16.0.18129.20158'], 0.25],
    ['Microsoft Office 校正ツール 2016 - 英語', MS, ['16.0.4266.1001'], 0.2],
    ['ATOK 医療辞書', JUST, ['34.0.0'], 0.03],
    ['Google Japanese Input', 'Google LLC', ['2.30.5620.100'], 0.03],
    ['Adobe Creative Cloud', 'Adobe Inc.', ['6.4.0.361', '6.5.0.348'], 0.06],
    ['Adobe Photoshop 2025', 'Adobe Inc.', ['26.1.0.121', '26.2.0.140'], 0.04],
    ['Adobe Illustrator 2025', 'Adobe Inc.', ['29.1', '29.2.1'], 0.04],
    ['Adobe InDesign 2025', 'Adobe Inc.', ['20.0.1', '20.1'], 0.02],
    ['Adobe Premiere Pro 2025', 'Adobe Inc.', ['25.0', '25.1'], 0.01],
  ] as const
).map(([name, publisher, versions, share], i) => t(i % 2 ? 'key32' : 'key', name, publisher, versions, share, { key: name }));

// Per-user runtimes and plug-ins that accumulate in profiles.
const PER_USER: Title[] = [
  t('user', 'Microsoft Teams classic', MS, ['1.7.00.13456'], 0.15, { key: 'Teams', path: 'C:\\Users\\{user}\\AppData\\Local\\Microsoft\\Teams' }),
  t('user', 'GoTo Opener', 'GoTo, Inc.', ['1.0.575'], 0.04, { key: 'GoToOpener' }),
  t('user', 'Webex', 'Cisco Systems, Inc', ['44.10.2.31237'], 0.06, { key: 'Webex' }),
  t('user', 'Microsoft Edge Update for user', null, ['1.3.195.43'], 0.2, { key: 'Microsoft Edge Update' }),
  t('user', 'Grammarly for Microsoft® Office Suite', 'Grammarly', ['6.8.263'], 0.01, { key: 'Grammarly' }),
  t('user', 'Postman x86_64 {v}', 'Postman', ['11.19.0', '11.24.0'], 0.01, { key: 'Postman' }),
  t('user', 'Figma', 'Figma, Inc.', ['124.5.5', '124.7.4'], 0.01, { key: 'Figma' }),
  t('user', 'Notion', 'Notion Labs, Inc', ['3.16.0', '4.2.0'], 0.02, { key: '8d07f3b1-3b1f-5d3a-9ac1-9f9a2d1a8c0e' }),
  t('user', 'Spotify', 'Spotify AB', ['1.2.50.335'], 0.01, { key: 'Spotify' }),
  t('user', 'GitHub Desktop', 'GitHub, Inc.', ['3.4.9', '3.4.12'], 0.01, { key: 'GitHubDesktop' }),
];

/** Every title of the catalog; an inventory takes each with its share. */
export const SOFTWARE_TITLES: readonly Title[] = [
  ...APPX,
  ...APPX_OEM,
  ...APPX_MORE,
  ...VCREDIST,
  ...DOTNET,
  ...MICROSOFT,
  ...BROWSERS_AND_TOOLS,
  ...JAPANESE,
  ...DRIVERS,
  ...DRIVER_PACKAGES,
  ...PRINTERS,
  ...SDK,
  ...UTILITIES,
  ...LEGACY_RUNTIMES,
  ...DEPARTMENT_APPS,
  ...OEM_TOOLS,
  ...FONTS_AND_INPUT,
  ...PER_USER,
];

/** PC models of public-sector tenders, with the SMBIOS strings their firmware reports. */
export interface MachineModel {
  manufacturer: string;
  model: string;
  version: string;
  sku: string;
  chassis: 'Notebook' | 'Desktop' | 'Mini PC' | 'Convertible';
  biosVendor: string;
  biosVersions: readonly string[];
  cpu: { brand: string; family: string; model: string; stepping: string; speedGHz: number; cores: number; physicalCores: number; manufacturer: string; vendor: string };
  memoryGiB: 8 | 16 | 32;
  disk: { name: string; vendor: string; sizeBytes: number; interfaceType: string; type: string; firmware: string };
  gpu: { vendor: string; model: string; vramMB: number };
  battery: { manufacturer: string; model: string; designedCapacityMWh: number } | null;
  wifi: string | null;
  ethernet: string;
}

const intel = (brand: string, model: string, speedGHz: number, cores: number, physicalCores: number) => ({
  brand,
  family: '6',
  model,
  stepping: '3',
  speedGHz,
  cores,
  physicalCores,
  manufacturer: 'Intel',
  vendor: 'GenuineIntel',
});

export const MACHINE_MODELS: readonly MachineModel[] = [
  {
    manufacturer: 'LENOVO', model: '21HDCTO1WW', version: 'ThinkPad T14 Gen 4', sku: 'LENOVO_MT_21HD_BU_Think_FM_ThinkPad T14 Gen 4', chassis: 'Notebook',
    biosVendor: 'LENOVO', biosVersions: ['R2FET56W (1.36 )', 'R2FET62W (1.42 )'], cpu: intel('Core™ i5-1335U', '186', 1.3, 12, 10), memoryGiB: 16,
    disk: { name: 'SAMSUNG MZVL4256HBJD-00BL7', vendor: 'Samsung', sizeBytes: 256_060_514_304, interfaceType: 'NVMe', type: 'SSD', firmware: '7L2QHXD7' },
    gpu: { vendor: 'Intel Corporation', model: 'Intel(R) Iris(R) Xe Graphics', vramMB: 128 }, battery: { manufacturer: 'SMP', model: '5B10W51867', designedCapacityMWh: 52_500 },
    wifi: 'Intel(R) Wi-Fi 6E AX211 160MHz', ethernet: 'Intel(R) Ethernet Connection (16) I219-V',
  },
  {
    manufacturer: 'FUJITSU CLIENT COMPUTING LIMITED', model: 'FMVU4904PP', version: '10601871735', sku: 'SK03', chassis: 'Notebook',
    biosVendor: 'FUJITSU CLIENT COMPUTING LIMITED // Phoenix Technologies Ltd.', biosVersions: ['Version 2.11', 'Version 2.14'], cpu: intel('Core™ i5-1245U', '154', 1.6, 12, 10), memoryGiB: 16,
    disk: { name: 'KIOXIA KBG50ZNV256G', vendor: 'KIOXIA', sizeBytes: 256_060_514_304, interfaceType: 'NVMe', type: 'SSD', firmware: '11200107' },
    gpu: { vendor: 'Intel Corporation', model: 'Intel(R) Iris(R) Xe Graphics', vramMB: 128 }, battery: { manufacturer: 'Panasonic', model: 'CP824260-01', designedCapacityMWh: 50_000 },
    wifi: 'Intel(R) Wi-Fi 6 AX201 160MHz', ethernet: 'Intel(R) Ethernet Connection (17) I219-LM',
  },
  {
    manufacturer: 'NEC', model: 'PC-VKT44BZG6', version: 'FAB-1', sku: 'NEC_VKT44B', chassis: 'Notebook',
    biosVendor: 'NEC', biosVersions: ['1.10', '1.20'], cpu: intel('Core™ i5-1345U', '186', 1.6, 12, 10), memoryGiB: 8,
    disk: { name: 'WDC PC SN740 SDDPNQD-256G-1002', vendor: 'Western Digital', sizeBytes: 256_052_966_400, interfaceType: 'NVMe', type: 'SSD', firmware: '73106000' },
    gpu: { vendor: 'Intel Corporation', model: 'Intel(R) Iris(R) Xe Graphics', vramMB: 128 }, battery: { manufacturer: 'NEC', model: 'PC-VP-BP145', designedCapacityMWh: 45_000 },
    wifi: 'Intel(R) Wi-Fi 6 AX201 160MHz', ethernet: 'Realtek PCIe GbE Family Controller',
  },
  {
    manufacturer: 'Dynabook Inc.', model: 'dynabook G83/KW', version: 'PCN-KW', sku: 'A6G8KWF8D615', chassis: 'Notebook',
    biosVendor: 'Dynabook Inc.', biosVersions: ['Version 1.30', 'Version 1.50'], cpu: intel('Core™ i5-1334U', '186', 1.3, 12, 10), memoryGiB: 16,
    disk: { name: 'KIOXIA KBG60ZNV256G', vendor: 'KIOXIA', sizeBytes: 256_060_514_304, interfaceType: 'NVMe', type: 'SSD', firmware: '11300103' },
    gpu: { vendor: 'Intel Corporation', model: 'Intel(R) Iris(R) Xe Graphics', vramMB: 128 }, battery: { manufacturer: 'Dynabook', model: 'PS0104NA1BRS', designedCapacityMWh: 53_000 },
    wifi: 'Intel(R) Wi-Fi 6E AX211 160MHz', ethernet: 'Intel(R) Ethernet Connection (16) I219-V',
  },
  {
    manufacturer: 'Panasonic Connect Co., Ltd.', model: 'CFSV1-1', version: '002', sku: 'CF-SV1RDGVS', chassis: 'Notebook',
    biosVendor: 'Phoenix Technologies K.K.', biosVersions: ['V1.00L12', 'V1.00L16'], cpu: intel('Core™ i5-1145G7', '140', 2.6, 8, 4), memoryGiB: 16,
    disk: { name: 'SAMSUNG MZVLB256HBHQ-00000', vendor: 'Samsung', sizeBytes: 256_060_514_304, interfaceType: 'NVMe', type: 'SSD', firmware: 'EXH7301Q' },
    gpu: { vendor: 'Intel Corporation', model: 'Intel(R) Iris(R) Xe Graphics', vramMB: 128 }, battery: { manufacturer: 'Panasonic', model: 'CF-VZSU1AJS', designedCapacityMWh: 46_000 },
    wifi: 'Intel(R) Wi-Fi 6 AX201 160MHz', ethernet: 'Intel(R) Ethernet Connection (13) I219-LM',
  },
  {
    manufacturer: 'Dell Inc.', model: 'OptiPlex 7010', version: '', sku: '0C7D', chassis: 'Desktop',
    biosVendor: 'Dell Inc.', biosVersions: ['1.14.0', '1.18.0'], cpu: intel('Core™ i5-13500', '191', 2.5, 20, 14), memoryGiB: 16,
    disk: { name: 'KIOXIA BG5 KBG50ZNS512G', vendor: 'KIOXIA', sizeBytes: 512_110_190_592, interfaceType: 'NVMe', type: 'SSD', firmware: '11000101' },
    gpu: { vendor: 'Intel Corporation', model: 'Intel(R) UHD Graphics 770', vramMB: 128 }, battery: null,
    wifi: null, ethernet: 'Intel(R) Ethernet Connection (17) I219-LM',
  },
  {
    manufacturer: 'HP', model: 'HP ProDesk 400 G9 SFF PC', version: '', sku: '6U3U4AV', chassis: 'Desktop',
    biosVendor: 'HP', biosVersions: ['U01 Ver. 02.14.00', 'U01 Ver. 02.16.01'], cpu: intel('Core™ i5-12500', '151', 3.0, 12, 6), memoryGiB: 8,
    disk: { name: 'SAMSUNG MZVL2256HCHQ-00BH1', vendor: 'Samsung', sizeBytes: 256_060_514_304, interfaceType: 'NVMe', type: 'SSD', firmware: 'HPS2NFXV' },
    gpu: { vendor: 'Intel Corporation', model: 'Intel(R) UHD Graphics 770', vramMB: 128 }, battery: null,
    wifi: null, ethernet: 'Realtek PCIe GbE Family Controller',
  },
  {
    manufacturer: 'LENOVO', model: '11T3S0C800', version: 'ThinkCentre M70q Gen 3', sku: 'LENOVO_MT_11T3_BU_Think_FM_ThinkCentre M70q Gen 3', chassis: 'Mini PC',
    biosVendor: 'LENOVO', biosVersions: ['M3XKT3BA', 'M3XKT46A'], cpu: intel('Core™ i5-12400T', '151', 1.8, 12, 6), memoryGiB: 16,
    disk: { name: 'SKHynix_HFS256GEJ4X112N', vendor: 'SK hynix', sizeBytes: 256_060_514_304, interfaceType: 'NVMe', type: 'SSD', firmware: '41710C20' },
    gpu: { vendor: 'Intel Corporation', model: 'Intel(R) UHD Graphics 730', vramMB: 128 }, battery: null,
    wifi: 'Intel(R) Wi-Fi 6 AX201 160MHz', ethernet: 'Intel(R) Ethernet Connection (17) I219-V',
  },
];

/** Departments (課) of a city office; host names and user folders are built from them. */
export const DEPARTMENTS: readonly { code: string; name: string }[] = [
  { code: 'SOMU', name: '総務課' },
  { code: 'ZAISEI', name: '財政課' },
  { code: 'SHIMIN', name: '市民課' },
  { code: 'ZEIMU', name: '税務課' },
  { code: 'FUKUSHI', name: '福祉課' },
  { code: 'KENKO', name: '健康推進課' },
  { code: 'KODOMO', name: 'こども家庭課' },
  { code: 'DOBOKU', name: '土木課' },
  { code: 'TOSHI', name: '都市計画課' },
  { code: 'KYOIKU', name: '教育総務課' },
  { code: 'JOHO', name: '情報政策課' },
  { code: 'KANKYO', name: '環境課' },
];

/** Family and given names (romaji for account names, kanji for display names). */
export const FAMILY_NAMES: readonly [string, string][] = [
  ['sato', '佐藤'], ['suzuki', '鈴木'], ['takahashi', '高橋'], ['tanaka', '田中'], ['watanabe', '渡辺'],
  ['ito', '伊藤'], ['yamamoto', '山本'], ['nakamura', '中村'], ['kobayashi', '小林'], ['kato', '加藤'],
  ['yoshida', '吉田'], ['yamada', '山田'], ['sasaki', '佐々木'], ['yamaguchi', '山口'], ['matsumoto', '松本'],
];
export const GIVEN_NAMES: readonly [string, string][] = [
  ['taro', '太郎'], ['hanako', '花子'], ['ichiro', '一郎'], ['yuki', '由紀'], ['kenji', '健二'],
  ['akiko', '明子'], ['hiroshi', '博'], ['naoko', '直子'], ['takeshi', '武'], ['megumi', '恵'],
];

/** USB memory sticks staff plug in (VID/PID as lower-case hex, as the media watcher reports them). */
export const USB_STICKS: readonly { vendorId: string; productId: string; vendor: string; product: string; capacityBytes: number }[] = [
  { vendorId: '0930', productId: '6545', vendor: 'KIOXIA', product: 'TransMemory', capacityBytes: 15_472_047_104 },
  { vendorId: '056e', productId: '6035', vendor: 'ELECOM', product: 'MF-MSU3B', capacityBytes: 31_004_295_168 },
  { vendorId: '0411', productId: '01e5', vendor: 'BUFFALO', product: 'USB Flash Disk', capacityBytes: 15_502_147_584 },
  { vendorId: '0781', productId: '5583', vendor: 'SanDisk', product: 'Ultra Fit', capacityBytes: 61_530_439_680 },
  { vendorId: '090c', productId: '1000', vendor: 'Silicon Motion', product: 'USB DISK 3.0', capacityBytes: 15_512_698_880 },
  { vendorId: '04bb', productId: '0f58', vendor: 'I-O DATA', product: 'ED-S4/32GR', capacityBytes: 30_943_477_760 },
];

/** Files staff copy to a stick (the take-out record of media.file_written). */
export const FILE_NAMES: readonly string[] = [
  '令和7年度予算要求資料.xlsx',
  '議会答弁案_第3回定例会.docx',
  '住民説明会資料（最終版）.pptx',
  '補助金交付申請書_様式第1号.pdf',
  '会議録_20250612.docx',
  '道路台帳_更新分.csv',
  '保育所入所選考_集計.xlsx',
  '選挙事務_投票所配置図.pdf',
  '固定資産税_評価替え_検討メモ.txt',
  '防災訓練_実施要領.docx',
];
