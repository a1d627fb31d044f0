/**
 * `npm run refresh -- <flags>` and `npm run destroy -- <flags>`: `pulumi refresh` or `pulumi destroy`
 * with the Kubernetes provider's credential checked first, as the program checks it for `up` and
 * `preview`. Neither runs the program, so without this a signed-out Azure CLI reaches
 * pulumi-kubernetes' Configure, which runs the exec plugin, fails, and calls the live cluster
 * unreachable with the advice to set PULUMI_K8S_DELETE_UNREACHABLE (pulumi-kubernetes
 * provider/pkg/provider/provider.go): for a cluster that exists, the one remedy that drops a
 * running app from state. This stops with the sign-in's own reason instead, and runs nothing.
 */
import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { checkClusterCredential } from "../lib/credentialCheck";
import { aksExecCredential } from "../lib/execCredential";

export const CHECKED_COMMANDS = ["refresh", "destroy"] as const;

/** Runs `pulumi <command> <args>` once the credential works; the exit code to leave with. */
export async function checkedPulumi(
	argv: string[],
	io: { env: NodeJS.ProcessEnv; error: (line: string) => void },
	check: () => Promise<void> = () => checkClusterCredential(aksExecCredential(), undefined, io.env),
	run: (args: string[]) => SpawnSyncReturns<Buffer> = (args) => spawnSync("pulumi", args, { stdio: "inherit", env: io.env }),
): Promise<number> {
	const [command, ...args] = argv;
	if (!(CHECKED_COMMANDS as readonly string[]).includes(command)) {
		io.error(`usage: pulumi-checked.ts ${CHECKED_COMMANDS.join("|")} [pulumi flags…] (got ${JSON.stringify(command ?? "")})`);
		return 2;
	}
	try {
		await check();
	} catch (err) {
		io.error(`pulumi ${command} not run: ${err instanceof Error ? err.message : String(err)}`);
		return 1;
	}
	const res = run([command, ...args]);
	if (res.error) {
		io.error(`pulumi ${command} could not start: ${res.error.message} (is the Pulumi CLI on PATH?)`);
		return 1;
	}
	return res.status ?? 1;
}

if (require.main === module) {
	checkedPulumi(process.argv.slice(2), { env: process.env, error: (l) => console.error(l) }).then((code) => process.exit(code));
}
