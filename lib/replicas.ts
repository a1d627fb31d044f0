/** The autoscaler's default upper bound: three times the minimum, and at least 4. */
export const defaultMaxReplicas = (replicas: number) => Math.max(replicas * 3, 4);
