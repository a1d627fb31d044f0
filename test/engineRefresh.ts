/**
 * What `pulumi refresh` and the `up` after it do to an azure-native resource's inputs, ported from
 * the engine's and the provider's source so a test can run the sequence on the program's own
 * declarations (values are plain JSON, as in state):
 *
 * - {@link refreshedInputs}: azure-native's Read (pulumi-azure-native provider/pkg/provider/provider.go,
 *   Read, steps 2-5): the change between the old and the new outputs, both projected to input shape,
 *   is applied to the inputs in state by `applyDiff`/`applyValueDiff` (its provider package's
 *   diff.go): objects key by key, arrays element by element, the result as long as the new list,
 *   and elements past the old ones copied as they are.
 * - {@link processIgnoreChanges}: the engine's step generator (pulumi pkg/resource/deploy/step_generator.go
 *   :3076 at 1b594989, processIgnoreChanges), which resets each ignored path in the program's inputs to
 *   the value in state with `PropertyPath.Reset` (sdk/go/common/resource/properties_path.go:574).
 *   A `[*]` that is not the last element resets the elements both lists have and then reports a
 *   path failure when their lengths differ (:498); since pulumi#20465 (September 2025) the engine
 *   logs that ("cannot ignore changes in added or removed elements of the path") and goes on with
 *   what it could reset, where engines before failed the step ("cannot ignore changes to the
 *   following properties because one or more elements of the path are missing").
 *
 * Only the cases those functions take for objects, lists and plain values are ported; a path form
 * not ported (a numeric index, a trailing `[*]`) throws rather than guess.
 */

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

/** resource.PropertyMap.Diff on plain objects: added, deleted and updated keys. */
function objectDiff(olds: Obj, news: Obj) {
	const adds = Object.keys(news).filter((k) => !(k in olds));
	const deletes = Object.keys(olds).filter((k) => !(k in news));
	const updates = Object.keys(news).filter((k) => k in olds && !same(olds[k], news[k]));
	return { adds, deletes, updates };
}

function applyDiff(values: Obj, olds: Obj, news: Obj): Obj {
	const d = objectDiff(olds, news);
	const result: Obj = {};
	for (const [k, v] of Object.entries(values)) if (!d.deletes.includes(k)) result[k] = v;
	for (const k of d.adds) result[k] = news[k];
	for (const k of d.updates) result[k] = k in values ? applyValueDiff(values[k], olds[k], news[k]) : news[k];
	return result;
}

function applyValueDiff(base: Json, old: Json, neu: Json): Json {
	if (isObj(base) && isObj(old) && isObj(neu)) return applyDiff(base, old, neu);
	if (Array.isArray(base) && Array.isArray(old) && Array.isArray(neu)) {
		return neu.map((el, i) => (i >= base.length || i >= old.length ? el : applyValueDiff(base[i], old[i], el)));
	}
	return neu;
}

/**
 * The inputs a refresh leaves in state: `stateInputs` with the change from `oldOutputs` to
 * `newOutputs` (both already in input shape: azure-native drops read-only properties first).
 */
export function refreshedInputs(stateInputs: object, oldOutputs: object, newOutputs: object): Obj {
	return applyDiff(clone(stateInputs) as Obj, clone(oldOutputs) as Obj, clone(newOutputs) as Obj);
}

/** `a.b[*].c` as path elements. */
function parsePath(path: string): string[] {
	return path
		.replace(/\[(\*|\d+)\]/g, ".$1")
		.split(".")
		.filter(Boolean);
}

function reset(path: string[], old: Json | undefined, neu: Json | undefined): boolean {
	const [key, ...rest] = path;
	if (/^\d+$/.test(key)) throw new Error("engineRefresh: a numeric index in an ignoreChanges path is not ported");
	if (key === "*") {
		if (rest.length === 0) throw new Error("engineRefresh: a trailing [*] in an ignoreChanges path is not ported");
		if (isObj(old) && isObj(neu)) {
			return Object.keys(old).every((k) => k in neu && reset(rest, old[k], neu[k]));
		}
		if (Array.isArray(old) && Array.isArray(neu)) {
			for (let i = 0; i < Math.min(old.length, neu.length); i++) if (!reset(rest, old[i], neu[i])) return false;
			// "If arrays are of different length then this is a path failure"
			return old.length === neu.length;
		}
		return false;
	}
	if (rest.length === 0) {
		if (isObj(old) && key in old) {
			if (!isObj(neu)) return false;
			neu[key] = old[key];
		} else if (isObj(neu)) {
			delete neu[key];
		}
		return true;
	}
	if (!isObj(old) || !isObj(neu)) return !isObj(old) && !isObj(neu);
	const hasOld = key in old;
	const hasNew = key in neu;
	if (hasOld && !hasNew) return false;
	if (!hasOld && !hasNew) return true;
	return reset(rest, old[key], neu[key]);
}

/**
 * The program's `inputs` with every `ignoreChanges` path reset to the value in state as far as it
 * can be, and the paths that could not be (which the engine reports and goes on).
 */
export function processIgnoreChanges(
	inputs: object,
	oldInputs: object,
	ignoreChanges: string[],
): { inputs: Obj; notIgnored: string[] } {
	const ignored = clone(inputs) as Obj;
	const notIgnored = ignoreChanges.filter((p) => !reset(parsePath(p), clone(oldInputs) as Obj, ignored));
	return { inputs: ignored, notIgnored };
}
