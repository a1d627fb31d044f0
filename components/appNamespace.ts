import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { componentType } from "./typeToken";

export interface AppNamespaceArgs {
	/** The namespace's name (never `default` or a `kube-` one). */
	name: string;
	/**
	 * The URN of the component this namespace was declared under by earlier versions of the stack
	 * (the App): the namespace's state moves instead of the namespace being deleted and re-created,
	 * which would delete everything in it. Default: none.
	 */
	movedFrom?: pulumi.Input<string>;
}

/** A namespace for apps, with Pod Security "restricted" enforced; several apps may share it. */
export class AppNamespace extends pulumi.ComponentResource {
	readonly name: pulumi.Output<string>;

	constructor(name: string, args: AppNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
		super(componentType("app", "AppNamespace"), name, {}, opts);
		const ns = new k8s.core.v1.Namespace(
			`${name}-ns`,
			{
				metadata: {
					name: args.name,
					labels: {
						"app.kubernetes.io/managed-by": "pulumi",
						// Pod Security admission: reject pods that break the "restricted" profile.
						"pod-security.kubernetes.io/enforce": "restricted",
						"pod-security.kubernetes.io/enforce-version": "latest",
					},
				},
			},
			{ parent: this, aliases: args.movedFrom ? [{ parent: args.movedFrom }] : [] },
		);
		this.name = ns.metadata.name;
		this.registerOutputs({ name: this.name });
	}
}
