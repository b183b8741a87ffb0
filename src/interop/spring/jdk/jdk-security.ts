import { isPlainObject } from "../../foreign-value.js";
import { fieldOf } from "./jdk-fields.js";
import type { JdkNode } from "./jdk-node.js";
import { jdkToValue } from "./jdk-view.js";

function text(value: unknown): string | undefined {
  return typeof value === "object" && value !== null && (value as JdkNode).k === "string"
    ? (value as { text: string }).text
    : undefined;
}

/**
 * What `authentication.getName()` answers, read from the fields Spring Security 6 serializes: a token
 * with a `name` of its own (JwtAuthenticationToken), else its `principal` (AbstractAuthenticationToken's
 * getName): a String, a UserDetails (`username`: User), a Principal or AuthenticatedPrincipal with a
 * `name` field, or an OAuth2User (DefaultOAuth2User: `attributes[nameAttributeKey]`). Undefined for a
 * shape it cannot read without running Java code (a principal's own toString, say).
 */
function authenticationName(authentication: JdkNode): string | undefined {
  if (authentication.k !== "object") return undefined;
  const own = text(fieldOf(authentication, "name"));
  if (own !== undefined) return own;
  const principal = fieldOf(authentication, "principal");
  if (typeof principal !== "object") return undefined;
  if (principal.k === "string") return principal.text;
  if (principal.k !== "object") return undefined;
  const named = text(fieldOf(principal, "username")) ?? text(fieldOf(principal, "name"));
  if (named !== undefined) return named;
  const key = text(fieldOf(principal, "nameAttributeKey"));
  const attributes = fieldOf(principal, "attributes");
  if (key === undefined || typeof attributes !== "object") return undefined;
  const map = jdkToValue(attributes);
  const value = map instanceof Map ? map.get(key) : isPlainObject(map) ? map[key] : undefined;
  return typeof value === "string" || (typeof value === "number" && Number.isSafeInteger(value))
    ? String(value)
    : undefined;
}

/**
 * Spring's PrincipalNameIndexResolver: `((SecurityContext) attribute).getAuthentication().getName()`,
 * for a SecurityContextImpl (or any context with an `authentication` field); undefined when the node is
 * no such object or holds no authentication.
 */
export function securityContextPrincipal(node: JdkNode): string | undefined {
  if (node.k !== "object") return undefined;
  const authentication = fieldOf(node, "authentication");
  return typeof authentication === "object" ? authenticationName(authentication) : undefined;
}
