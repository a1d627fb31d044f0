import * as pulumi from "@pulumi/pulumi";
import { App, type AppArgs } from "../components/app";
import { PROJECT, StackMocks } from "../simulator";

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
