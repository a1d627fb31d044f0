import * as pulumi from "@pulumi/pulumi";
import { ensureProvidersRegistered, REGISTRATION_RETRY } from "./resourceProviders";
import type { RetryOptions } from "./retry";

interface RegistrationInputs {
	subscriptionId: string;
	namespaces: string[];
	token: string;
	/** ARM endpoint override (tests). */
	endpoint?: string;
	retry?: RetryOptions;
}

interface RegistrationOutputs {
	subscriptionId: string;
	namespaces: string[];
	/** The namespaces this resource had to register (empty when all were registered already). */
	registered: string[];
}

/** Registers the namespaces on create, and again when the list changes; the token never counts as a change. */
export const providerRegistrationProvider: pulumi.dynamic.ResourceProvider<RegistrationInputs, RegistrationOutputs> = {
	async create(inputs) {
		const registered = await ensureProvidersRegistered(inputs, inputs.retry ?? REGISTRATION_RETRY);
		return {
			id: `${inputs.subscriptionId}/providers`,
			outs: { subscriptionId: inputs.subscriptionId, namespaces: inputs.namespaces, registered },
		};
	},
	async diff(_id, olds, news) {
		const changed =
			olds.subscriptionId !== news.subscriptionId || JSON.stringify(olds.namespaces) !== JSON.stringify(news.namespaces);
		return { changes: changed, replaces: changed ? ["namespaces"] : [], deleteBeforeReplace: false };
	},
	async delete() {
		// Registrations belong to the subscription, which other stacks share: never unregister.
	},
};

export interface ResourceProviderRegistrationArgs {
	subscriptionId: pulumi.Input<string>;
	namespaces: string[];
	/** Entra access token for Azure Resource Manager. */
	token: pulumi.Input<string>;
}

/**
 * Makes sure the subscription has the resource providers the stack needs registered before any
 * resource is created, so the first `pulumi up` on a new subscription succeeds.
 */
export class ResourceProviderRegistration extends pulumi.dynamic.Resource {
	declare readonly registered: pulumi.Output<string[]>;

	constructor(name: string, args: ResourceProviderRegistrationArgs, opts?: pulumi.CustomResourceOptions) {
		super(providerRegistrationProvider, name, { ...args, token: pulumi.secret(args.token), registered: undefined }, opts);
	}
}
