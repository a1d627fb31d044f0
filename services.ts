/**
 * The services this stack runs (docs/your-app.md): each a directory with its Dockerfile, the
 * settings of its Deployment, and, where its image differs from the sample's contract (port 8080,
 * metrics on 9464, /healthz and /readyz, UID 10001), the fields that differ. `env` holds its plain
 * settings and `egress` where it may send traffic; secrets never go here. A second service is one
 * more entry; index.ts checks every entry before it declares anything.
 */
import type { ServiceSpec } from "./components/serviceSpec";
import { APP_DIRECTORY, type StackConfig } from "./config";

export function services(config: StackConfig): ServiceSpec[] {
	return [{ name: "app", directory: APP_DIRECTORY, settings: config.app }];
}
