/**
 * The services a run releases. The whole-stack tests are about the first, `app`, and the stack
 * around it; a fork adds others (another entry in services.ts), whose components and resources
 * are named after them, and those tests leave them aside.
 */
import { PROJECT } from "../simulator";

/** The services besides the first that `resources` hold, by their App components. */
export const addedServices = (resources: readonly { type: string; name: string }[], first = "app"): string[] =>
	resources.filter((r) => r.type === `${PROJECT}:app:App` && r.name !== first).map((r) => r.name);

/** Whether the resource (or manifest file) `name` is one of `services`' own. */
export const ofServices = (services: readonly string[], name: string): boolean =>
	services.some((s) => name === s || name.startsWith(`${s}-`));
