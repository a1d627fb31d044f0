import * as pulumi from "@pulumi/pulumi";
import { ARM_ENDPOINT } from "../lib/armAction";
import { aksExecCredential, type ExecSpec } from "../lib/execCredential";
import { ImageImport } from "../lib/imageImport";
import { componentType } from "./typeToken";

export interface PromotedImageArgs {
	/** ARM id of this stack's registry, where the image is imported. */
	registryId: pulumi.Input<string>;
	/** Its login server, e.g. `myregistry1234.azurecr.io`. */
	loginServer: pulumi.Input<string>;
	/** Where the tested image is: the building stack's registry (ARM id and login server), repository and digest. */
	source: { stack: string; registryId: string; loginServer: string; repository: string; digest: string };
	/**
	 * The source revision the image must carry (its `org.opencontainers.image.revision` label):
	 * the build context's tree id in this checkout. The import is refused on any other. Default: not checked.
	 */
	expectRevision?: string;
	/** Tag given to it here, for people and for the untagged-manifest purge. */
	tag: string;
	/** The deployers' import grants on this registry: the import starts once they exist. */
	importGrants: pulumi.Resource[];
	/** How the import gets ARM tokens. Default: the stack's exec plugin (Azure CLI, or GitHub OIDC in a workflow) for ARM. */
	credential?: ExecSpec;
}

/**
 * The image another stack built and ran, imported by digest into this stack's registry with ACR's
 * import (server side, over Azure's network; nothing is rebuilt), so this stack runs exactly what
 * that one tested.
 */
export class PromotedImage extends pulumi.ComponentResource {
	/** `<loginServer>/<repository>@sha256:…`, the source's digest, resolved once the import has finished. */
	readonly repoDigest: pulumi.Output<string>;

	constructor(name: string, args: PromotedImageArgs, opts?: pulumi.ComponentResourceOptions) {
		super(componentType("image", "PromotedImage"), name, {}, opts);
		const imported = new ImageImport(
			`${name}-import`,
			{
				targetRegistryId: args.registryId,
				sourceRegistryId: args.source.registryId,
				sourceImage: `${args.source.repository}@${args.source.digest}`,
				targetTags: [`${args.source.repository}:${args.tag}`],
				credential: args.credential ?? aksExecCredential(ARM_ENDPOINT),
				targetLoginServer: args.loginServer,
				...(args.expectRevision === undefined
					? {}
					: { expectRevision: args.expectRevision, sourceLoginServer: args.source.loginServer }),
			},
			{ parent: this, dependsOn: args.importGrants },
		);
		this.repoDigest = pulumi.interpolate`${args.loginServer}/${args.source.repository}@${imported.digest}`;
		this.registerOutputs({ repoDigest: this.repoDigest });
	}
}
