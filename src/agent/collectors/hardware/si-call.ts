import si from 'systeminformation';

/**
 * The systeminformation functions the hardware collectors use, so tests can hand in a fake that
 * hangs, throws or returns recorded results. None of them is ever given an argument: nothing from
 * outside reaches the library's shell commands.
 */
export type SiSource = Pick<
  typeof si,
  | 'system'
  | 'uuid'
  | 'bios'
  | 'baseboard'
  | 'chassis'
  | 'cpu'
  | 'mem'
  | 'memLayout'
  | 'diskLayout'
  | 'blockDevices'
  | 'fsSize'
  | 'networkInterfaces'
  | 'networkGatewayDefault'
  | 'graphics'
  | 'battery'
  | 'osInfo'
  | 'users'
  | 'printer'
  | 'usb'
  | 'processes'
>;

/** The real library. */
export const systemInformation: SiSource = si;

/** Why a hardware section could not be collected; `code` matches the inventory's SectionError codes. */
export class HardwareCollectError extends Error {
  constructor(
    message: string,
    readonly code: 'timeout' | 'failed' | 'invalid',
    readonly call: string,
  ) {
    super(message);
    this.name = 'HardwareCollectError';
  }
}

/**
 * Runs one systeminformation call with a deadline. The library cannot be cancelled, so a call
 * that misses the deadline keeps running in the background; its result is dropped and the
 * section fails with a timeout error instead of holding up the scan. The timer is always cleared.
 */
export async function siCall<T>(call: string, run: () => Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new HardwareCollectError(`systeminformation ${call}() gave no answer within ${timeoutMs} ms`, 'timeout', call)),
      timeoutMs,
    );
  });
  try {
    // A library function that throws synchronously becomes a rejection here.
    // race() subscribes to both, so a failure after the deadline is handled, not left unhandled.
    return await Promise.race([Promise.resolve().then(run), deadline]);
  } catch (error) {
    if (error instanceof HardwareCollectError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new HardwareCollectError(`systeminformation ${call}() failed: ${reason}`, 'failed', call);
  } finally {
    clearTimeout(timer);
  }
}
