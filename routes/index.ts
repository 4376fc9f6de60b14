import { auditRoutes } from './audit';
import { authRoutes } from './auth';
import { chatRoutes } from './chat';
import { labelRoutes } from './labels';
import { cannedRoutes } from './canned';
import type { RouteContext } from './context';
import { operatorRoutes } from './operators';
import type { RouteGroup } from './registry';
import { inboundRoutes } from './inbound';
import { settingsRoutes } from './settings';
import { userRoutes } from './users';

/** Every REST group of the contract; the app mounts these and the OpenAPI document describes them. */
export function apiGroups(context: RouteContext): RouteGroup[] {
  return [authRoutes(context), chatRoutes(context), operatorRoutes(context), userRoutes(context), labelRoutes(context), cannedRoutes(context), settingsRoutes(context), auditRoutes(context), inboundRoutes(context)];
}
