/**
 * Virtual time for the simulated deployment: a resource's creation "takes" its typical duration
 * without the process waiting for it. The clock moves only when the program and the SDK have
 * nothing left to do but wait, and then straight to the earliest pending completion, so what
 * happens in which order is exactly what real waits would give, and the same program gives the
 * same figures on every run, however loaded the machine is.
 */
export class VirtualClock {
	/** Virtual milliseconds since the clock was made. */
	now = 0;
	private readonly pending: { at: number; seq: number; wake: () => void }[] = [];
	private seq = 0;
	private driving = false;

	/** Resolves when `ms` of virtual time have passed. */
	sleep(ms: number): Promise<void> {
		return new Promise((wake) => {
			this.pending.push({ at: this.now + ms, seq: this.seq++, wake });
			if (!this.driving) {
				this.driving = true;
				void this.drive();
			}
		});
	}

	private async drive(): Promise<void> {
		while (this.pending.length > 0) {
			await settled();
			this.pending.sort((a, b) => a.at - b.at || a.seq - b.seq);
			const next = this.pending.shift();
			if (!next) break;
			this.now = Math.max(this.now, next.at);
			next.wake();
		}
		this.driving = false;
	}
}

/**
 * Lets everything already started run to its next wait: promise jobs, immediates and zero-delay
 * timers (the SDK uses all three between a resource's registration and the next one's).
 */
async function settled(): Promise<void> {
	for (let i = 0; i < 3; i++) {
		for (let j = 0; j < 20; j++) await new Promise<void>((resolve) => setImmediate(resolve));
		await new Promise<void>((resolve) => setTimeout(resolve, 0));
	}
}
