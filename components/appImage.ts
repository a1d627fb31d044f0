import * as path from "node:path";
import * as authorization from "@pulumi/azure-native/authorization";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { ACR_EXCHANGE_RETRY, exchangeForAcrRefreshToken } from "../lib/acrToken";
import { dockerLogin } from "../lib/dockerLogin";
import type { RetryOptions } from "../lib/retry";
import { componentType } from "./typeToken";

/**
 * Audience of the token exchanged for registry credentials: ACR itself, not Azure Resource Manager,
 * so the token handed to the registry endpoint cannot be replayed against ARM.
 */
export const ACR_TOKEN_AUDIENCE = "https://containerregistry.azure.net";

/** AKS nodes are amd64; without this, Apple-silicon machines build arm64 images that fail to start. */
export const IMAGE_PLATFORM = "linux/amd64";

export interface AppImageArgs {
	/** Registry login server, e.g. `myregistry.azurecr.io`. */
	loginServer: pulumi.Input<string>;
	/** Entra tenant of the deployer, for the token exchange. */
	tenantId: pulumi.Input<string>;
	/** Ids of the deployers' AcrPush assignments: the exchange starts only once they exist. */
	pushGrantIds: pulumi.Input<string>[];
	/** Repository name inside the registry. */
	repository: string;
	/** Image tag; the deployment uses the digest, the tag is for people. */
	tag: string;
	/**
	 * Build context directory, relative to the project root, where Pulumi runs both this program
	 * and the docker provider. Relative on purpose: an absolute path differs between a laptop, a
	 * dev container and a CI runner, and docker.Image would rebuild and push on every change of
	 * machine, rolling the app out with no source change.
	 */
	context: string;
	/** Dockerfile path, relative like `context`. Default: `<context>/Dockerfile`. */
	dockerfile?: string;
	/** Build arguments (version, OCI label values). Default: none. */
	buildArgs?: Record<string, string>;
	/**
	 * Overrides for the exchange endpoint, its retry budget and the Docker sign-in (tests only).
	 * Default: the registry's own endpoint, 10 minutes, `docker login`.
	 */
	exchange?: { endpoint?: string; retry?: RetryOptions; signIn?: (server: string, refreshToken: string) => Promise<void> };
}

/**
 * Signs Docker in to the registry with the deployer's Entra sign-in, the way `az acr login` does:
 * an Entra token for the registry's audience, asked for afresh on every attempt, exchanged for an
 * ACR refresh token (valid for 3 hours, only against this registry), handed to `docker login`.
 * Resolves to the login server once Docker is signed in, so docker.Image, given that server and no
 * username or password, pushes with what Docker stored: no registry credential is an input, an
 * output or a secret in Pulumi's state, where anyone who can read the stack could push with it.
 * Nothing is called during preview, where docker.Image does not build.
 */
export function registrySignIn(args: AppImageArgs, entraToken: () => Promise<string>): pulumi.Output<string> {
	return pulumi.all([args.loginServer, args.tenantId, ...args.pushGrantIds]).apply(async ([loginServer, tenantId]) => {
		if (pulumi.runtime.isDryRun()) return loginServer;
		const refreshToken = await exchangeForAcrRefreshToken(
			{ loginServer, tenantId, aadAccessToken: entraToken, endpoint: args.exchange?.endpoint },
			args.exchange?.retry ?? ACR_EXCHANGE_RETRY,
		);
		await (args.exchange?.signIn ?? dockerLogin)(loginServer, refreshToken);
		return loginServer;
	});
}

/** The app image, built for linux/amd64 and pushed to the registry with an Entra-derived sign-in. */
export class AppImage extends pulumi.ComponentResource {
	/** `<loginServer>/<repository>@sha256:…`: unique per push, so deploying it rolls out every new build. */
	readonly repoDigest: pulumi.Output<string>;
	/** `<loginServer>/<repository>:<tag>`. */
	readonly imageName: pulumi.Output<string>;

	constructor(name: string, args: AppImageArgs, opts?: pulumi.ComponentResourceOptions) {
		super(componentType("image", "AppImage"), name, {}, opts);
		for (const [key, value] of [
			["context", args.context],
			["dockerfile", args.dockerfile],
		] as const) {
			if (value !== undefined && path.isAbsolute(value)) {
				throw new Error(
					`AppImage ${name}: ${key} ${JSON.stringify(value)} is absolute; give it relative to the project root (e.g. "app"), ` +
						"so every checkout builds the same inputs and the image is not rebuilt on another machine",
				);
			}
		}
		const acrToken = () => authorization.getClientToken({ endpoint: ACR_TOKEN_AUDIENCE }, { parent: this }).then((t) => t.token);
		const image = new docker.Image(
			`${name}-image`,
			{
				imageName: pulumi.interpolate`${args.loginServer}/${args.repository}:${args.tag}`,
				build: {
					context: args.context,
					dockerfile: args.dockerfile ?? `${args.context}/Dockerfile`,
					platform: IMAGE_PLATFORM,
					args: args.buildArgs,
				},
				// The server alone: the docker provider takes the credential from Docker's own store.
				registry: { server: registrySignIn(args, acrToken) },
			},
			{ parent: this },
		);
		this.repoDigest = image.repoDigest;
		this.imageName = image.imageName;
		this.registerOutputs({ repoDigest: this.repoDigest, imageName: this.imageName });
	}
}
