import * as pulumi from "@pulumi/pulumi";

/**
 * A component's type token, `<project>:<module>:<Type>`, with the project name Pulumi.yaml gives:
 * renaming the project renames every component with it, and nothing else has to be edited.
 */
export function componentType(module: string, type: string): string {
	return `${pulumi.getProject()}:${module}:${type}`;
}
