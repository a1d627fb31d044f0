import * as path from "node:path";
import * as authorization from "@pulumi/azure-native/authorization";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { ACR_EXCHANGE_RETRY, ACR_REFRESH_TOKEN_USERNAME, exchangeForAcrRefreshToken } from "../lib/acrToken";
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
	/** Overrides for the exchange endpoint and retry budget (tests only). Default: the registry's own endpoint, 10 minutes. */
	exchange?: { endpoint?: string; retry?: RetryOptions };
}

/**
 * Registry credentials from the deployer's Entra sign-in, the way `az acr login` gets them: an
 * Entra token for the registry's audience, asked for afresh on every attempt, exchanged for an ACR
 * refresh token. That refresh token is the one credential this stack keeps in state (secret, in
 * docker.Image's inputs, which is where the docker provider reads it); it is valid for 3 hours and
 * only against this registry. Nothing is called during preview: the password stays unknown there,
 * and docker.Image does not build in preview.
 */
export function registryCredentials(args: AppImageArgs, entraToken: () => Promise<string>) {
	const password = pulumi.all([args.loginServer, args.tenantId, ...args.pushGrantIds]).apply(async ([loginServer, tenantId]) => {
		if (pulumi.runtime.isDryRun()) return pulumi.unknown as unknown as string;
		return exchangeForAcrRefreshToken(
			{ loginServer, tenantId, aadAccessToken: entraToken, endpoint: args.exchange?.endpoint },
			args.exchange?.retry ?? ACR_EXCHANGE_RETRY,
		);
	});
	return { server: args.loginServer, username: ACR_REFRESH_TOKEN_USERNAME, password: pulumi.secret(password) };
}

/** The app image, built for linux/amd64 and pushed to the registry with an Entra-derived token. */
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
				// A fresh token each run is not a change: docker.Image leaves username and password out of its diff.
				registry: registryCredentials(args, acrToken),
			},
			{ parent: this },
		);
		this.repoDigest = image.repoDigest;
		this.imageName = image.imageName;
		this.registerOutputs({ repoDigest: this.repoDigest, imageName: this.imageName });
	}
}
