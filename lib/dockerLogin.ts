import { execFile } from "node:child_process";
import { ACR_REFRESH_TOKEN_USERNAME } from "./acrToken";
import { executableOnPath } from "./executable";

/**
 * Signs the Docker CLI in to `server` with an ACR refresh token, as `az acr login` does: `docker
 * login --password-stdin` (the token never on a command line), which stores it where Docker keeps
 * credentials (the credential store, or `$DOCKER_CONFIG/config.json`). The docker provider reads
 * it from there when docker.Image is given no username or password (pulumi-docker
 * provider/image.go getRegistryAuth, cfg.GetAuthConfig), so no credential passes through Pulumi.
 */
export function dockerLogin(server: string, refreshToken: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
	const docker = executableOnPath("docker", env);
	return new Promise((resolve, reject) => {
		const child = execFile(
			docker,
			["login", "--username", ACR_REFRESH_TOKEN_USERNAME, "--password-stdin", server],
			{ env, timeout: 120_000 },
			(err, _stdout, stderr) => {
				if (!err) return resolve();
				const said = String(stderr || err.message)
					.trim()
					.split("\n")
					.slice(-3)
					.join(" ");
				reject(new Error(`docker login ${server} failed: ${said}`));
			},
		);
		child.stdin?.end(refreshToken);
	});
}
