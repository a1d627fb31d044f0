/** `npm run verify-state -- <file>`: state/verifyStateCommand.ts, as a process whose exit code a workflow step reads. */
import { verifyStateCommand } from "../state/verifyStateCommand";

process.exit(verifyStateCommand(process.argv.slice(2), process));
