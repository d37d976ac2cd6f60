// Workflow IDs come from business keys: one supervisor per namespace, one protection workflow per prefix.

export const SUPERVISOR_WORKFLOW_ID = 'mt-autowithdraw-supervisor';

/** "protect-185.54.81.0/24", "protect-2a02:4460:1::/48": readable in the Web UI and stable across restarts. */
export function protectionWorkflowId(cidr: string): string {
  return `protect-${cidr}`;
}

export function cidrFromWorkflowId(workflowId: string): string | null {
  return workflowId.startsWith('protect-') ? workflowId.slice('protect-'.length) : null;
}
