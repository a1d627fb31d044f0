/**
 * What a set of NetworkPolicies admits, by the semantics Kubernetes documents
 * (kubernetes.io/docs/concepts/services-networking/network-policies): a pod is isolated for a
 * direction once any policy in its namespace selects it with that policy type (`policyTypes`
 * defaults to Ingress, plus Egress when the policy has egress rules); an isolated pod admits a
 * connection that some selecting policy's rule admits; rules, peers and ports are unions; a rule
 * without `from`/`to` admits every peer, without `ports` every port; a peer's `podSelector` alone
 * selects pods in the policy's namespace, `namespaceSelector` alone every pod in the selected
 * namespaces, both the selected pods in the selected namespaces. Only `matchLabels` is modelled.
 */

export interface Pod {
	namespace: string;
	labels: Record<string, string>;
}
/** A pod, or an address outside the cluster (the internet, the instance metadata endpoint). */
export type Endpoint = Pod | { ip: string };
export interface Policy {
	metadata: { namespace: string };
	spec: {
		podSelector: { matchLabels?: Record<string, string> };
		policyTypes?: string[];
		ingress?: { from?: Peer[]; ports?: Port[] }[];
		egress?: { to?: Peer[]; ports?: Port[] }[];
	};
}
interface Peer {
	podSelector?: { matchLabels?: Record<string, string> };
	namespaceSelector?: { matchLabels?: Record<string, string> };
	ipBlock?: { cidr: string; except?: string[] };
}
interface Port {
	port?: number | string;
	protocol?: string;
}

const matches = (selector: { matchLabels?: Record<string, string> } | undefined, labels: Record<string, string>) => {
	if (selector && Object.keys(selector).some((k) => k !== "matchLabels")) throw new Error("only matchLabels is modelled");
	return Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
};
/** Every namespace carries its name as this label (Kubernetes 1.22+). */
const namespaceLabels = (ns: string) => ({ "kubernetes.io/metadata.name": ns });
const ipv4 = (ip: string) => ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);
const inCidr = (ip: string, cidr: string) => {
	const [base, bits] = cidr.split("/");
	const size = 2 ** (32 - Number(bits));
	return Math.floor(ipv4(ip) / size) === Math.floor(ipv4(base) / size);
};

function peerMatches(peer: Peer, policyNamespace: string, other: Endpoint): boolean {
	if ("ip" in other) {
		if (!peer.ipBlock) return false;
		return inCidr(other.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c) => inCidr(other.ip, c));
	}
	if (peer.ipBlock) return false;
	const nsOk = peer.namespaceSelector
		? matches(peer.namespaceSelector, namespaceLabels(other.namespace))
		: other.namespace === policyNamespace;
	return nsOk && (peer.podSelector ? matches(peer.podSelector, other.labels) : true);
}

const types = (p: Policy) => p.spec.policyTypes ?? ["Ingress", ...(p.spec.egress ? ["Egress"] : [])];
const portMatches = (ports: Port[] | undefined, port: number, protocol: string) =>
	!ports ||
	ports.length === 0 ||
	ports.some((p) => (p.port === undefined || p.port === port) && (p.protocol ?? "TCP") === protocol);

/** Whether `from` may open a connection to `to` on `port`, as far as the policies of both ends go. */
export function admits(policies: Policy[], from: Endpoint, to: Endpoint, port: number, protocol = "TCP"): boolean {
	const side = (pod: Endpoint, direction: "Ingress" | "Egress", other: Endpoint) => {
		if ("ip" in pod) return true;
		const selecting = policies.filter(
			(p) => p.metadata.namespace === pod.namespace && types(p).includes(direction) && matches(p.spec.podSelector, pod.labels),
		);
		if (selecting.length === 0) return true;
		return selecting.some((p) =>
			(direction === "Ingress"
				? (p.spec.ingress ?? []).map((r) => ({ peers: r.from, ports: r.ports }))
				: (p.spec.egress ?? []).map((r) => ({ peers: r.to, ports: r.ports }))
			).some(
				(r) =>
					portMatches(r.ports, port, protocol) &&
					(!r.peers || r.peers.length === 0 || r.peers.some((peer) => peerMatches(peer, p.metadata.namespace, other))),
			),
		);
	};
	return side(from, "Egress", to) && side(to, "Ingress", from);
}
