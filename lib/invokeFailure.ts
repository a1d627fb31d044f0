/**
 * Why an Azure read at program start failed, as one line short enough to quote in the run's own
 * message: the engine's invoke error (ARM's code and message) with its line breaks folded.
 */
export function invokeFailure(err: unknown): string {
	return (err instanceof Error ? err.message : String(err)).replace(/\s+/g, " ").trim().slice(0, 400);
}
