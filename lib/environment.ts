/** The two environment profiles; every default in the configuration depends on which one a stack uses. */
export type Environment = "dev" | "prod";
