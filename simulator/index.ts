/**
 * The deployment simulator: the program evaluated under Pulumi mocks with realistic Azure answers.
 * The tests, the offline plan, the bench and the policy table all use it; nothing else in the
 * project reaches into the SDK's internals.
 */
export * from "./azure";
export * from "./clock";
export * from "./mocks";
export * from "./project";
export * from "./run";
