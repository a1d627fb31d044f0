import * as pulumi from "@pulumi/pulumi";
import { type ExecSpec, runExecCredential } from "./execCredential";

/**
 * Set to `skip` where no Azure sign-in exists by design: the simulator (tests, the offline plan,
 * the bench). Never in a real run.
 */
export const SKIP_VARIABLE = "AKS_CREDENTIAL_CHECK";

/**
 * Runs the Kubernetes provider's credential command once, before anything is declared, and stops
 * the run with the plugin's own message when it fails. Without this, a signed-out Azure CLI (or a
 * workflow without `id-token: write`) surfaces later as the Kubernetes provider calling a running
 * cluster "unreachable", which invites the one remedy that is wrong for a live cluster
 * (PULUMI_K8S_DELETE_UNREACHABLE drops its objects from state).
 */
export async function checkClusterCredential(
	spec: ExecSpec,
	run: (spec: ExecSpec) => Promise<unknown> = runExecCredential,
	env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
	if (env[SKIP_VARIABLE] === "skip") return;
	try {
		await run(spec);
	} catch (err) {
		const said = err instanceof Error ? err.message : String(err);
		throw new pulumi.RunError(
			`${said}. The Kubernetes provider signs in to the cluster with this command on every run; sign in again ` +
				"(az login, or in a workflow the OIDC login the job sets up) and run again. The cluster itself is not the problem: " +
				"do not set PULUMI_K8S_DELETE_UNREACHABLE for a cluster that exists",
		);
	}
}
