import * as authorization from "@pulumi/azure-native/authorization";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { ACR_EXCHANGE_RETRY, ACR_REFRESH_TOKEN_USERNAME, exchangeForAcrRefreshToken } from "../lib/acrToken";
import type { RetryOptions } from "../lib/retry";

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
	/** Id of the deployer's AcrPush assignment: the exchange starts only once it exists. */
	pushGrantId: pulumi.Input<string>;
	/** Repository name inside the registry. */
	repository: string;
	/** Image tag; the deployment uses the digest, the tag is for people. */
	tag: string;
	/** Build context directory. */
	context: string;
	/** Dockerfile path. Default: `<context>/Dockerfile`. */
	dockerfile?: string;
	/** Build arguments (version, OCI label values). Default: none. */
	buildArgs?: Record<string, string>;
	/** Overrides for the exchange endpoint and retry budget (tests only). Default: the registry's own endpoint, 10 minutes. */
	exchange?: { endpoint?: string; retry?: RetryOptions };
}

/**
 * Registry credentials from the deployer's Entra sign-in, the way `az acr login` gets them.
 * Nothing is called during preview: the password stays unknown there, and docker.Image does not
 * build in preview.
 */
export function registryCredentials(args: AppImageArgs, entraToken: pulumi.Input<string>) {
	const password = pulumi
		.all([args.loginServer, args.tenantId, entraToken, args.pushGrantId])
		.apply(async ([loginServer, tenantId, aadAccessToken]) => {
			if (pulumi.runtime.isDryRun()) return pulumi.unknown as unknown as string;
			return exchangeForAcrRefreshToken(
				{ loginServer, tenantId, aadAccessToken, endpoint: args.exchange?.endpoint },
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
		super("aks-acr-app:image:AppImage", name, {}, opts);
		const acrToken = pulumi.secret(
			authorization.getClientTokenOutput({ endpoint: ACR_TOKEN_AUDIENCE }, { parent: this }).apply((t) => t.token),
		);
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
