import * as pulumi from "@pulumi/pulumi";
import { App, type AppArgs } from "../components/app";
import { AppImage, type AppImageArgs } from "../components/appImage";
import { PROJECT, StackMocks, TENANT_ID } from "../simulator";
import { fastRetry } from "./loopback";

/** A digest-pinned image reference, as AppImage hands it to App. */
export const DIGEST = `myreg.azurecr.io/api@sha256:${"a".repeat(64)}`;

/** Mocks as during `pulumi up`, so outputs such as the load balancer's address resolve. */
export function up(): StackMocks {
	const mocks = new StackMocks();
	mocks.install(PROJECT, "dev", false);
	return mocks;
}

const grant = () => new pulumi.ComponentResource("test:index:Grant", "grant");

/** An App named `name` in namespace "shop", one replica of a digest-pinned image; override any argument. */
export const appNamed = (name: string, over: Partial<AppArgs> = {}) =>
	new App(name, { name, namespace: "shop", version: "1", replicas: 1, image: DIGEST, imagePullGrant: grant(), ...over });

/** An AppImage evaluated as during `pulumi up`, its registry sign-in pointed at a loopback server. */
export function appImageUp(exchangeUrl: string, over: Partial<AppImageArgs> = {}) {
	const mocks = new StackMocks();
	mocks.install(PROJECT, "dev", false);
	const image = new AppImage("app", {
		loginServer: "myreg.azurecr.io",
		tenantId: TENANT_ID,
		pushGrantIds: [pulumi.output("grant")],
		repository: "app",
		tag: "1.2.3",
		context: "app",
		exchange: { endpoint: `${exchangeUrl}/oauth2/exchange`, retry: fastRetry(), signIn: async () => {} },
		...over,
	});
	return { mocks, image };
}
