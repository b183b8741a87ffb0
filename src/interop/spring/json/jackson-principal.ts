import type { JacksonEntry, JacksonNode } from "./jackson-node.js";
import { collectionKind, shapeOf } from "./jackson-types.js";

const SECURITY_CONTEXT = "org.springframework.security.core.context.SecurityContextImpl";

function field(fields: readonly JacksonEntry[], name: string): JacksonNode | undefined {
  return fields.find(([key]) => key.value === name)?.[1];
}

function text(node: JacksonNode | undefined): string | undefined {
  return node?.k === "string" ? node.value : undefined;
}

/**
 * `context.getAuthentication().getName()` from the JSON Spring Security's Jackson mixins write:
 * `{"@class":"...SecurityContextImpl","authentication":{"@class":"...UsernamePasswordAuthenticationToken",
 * ...,"principal":...}}`. AbstractAuthenticationToken.getName() (every token class Spring ships) is the
 * username of a UserDetails principal (User's "username" field), the name of a Principal or
 * AuthenticatedPrincipal (a "name" field; an OAuth2 user's attribute named by "nameAttributeKey"), a
 * String principal itself, and "" for no principal. Undefined when the node is no SecurityContextImpl,
 * holds no authentication, or the principal is of a shape we cannot name.
 */
export function securityContextPrincipal(node: JacksonNode): string | undefined {
  const context = shapeOf(node);
  if (context.kind !== "object" || context.className !== SECURITY_CONTEXT) return undefined;
  const authentication = field(context.fields, "authentication");
  if (authentication === undefined) return undefined;
  const token = shapeOf(authentication);
  if (token.kind !== "object") return undefined;
  const principal = field(token.fields, "principal");
  if (principal === undefined) return undefined;
  if (principal.k === "null") return "";
  if (principal.k === "string") return principal.value;
  const shape = shapeOf(principal);
  if (shape.kind !== "object") return undefined;
  const named = text(field(shape.fields, "username")) ?? text(field(shape.fields, "name"));
  if (named !== undefined) return named;
  return oauth2Name(shape.fields);
}

/** DefaultOAuth2User.getName(): attributes.get(nameAttributeKey), its toString() when a string. */
function oauth2Name(fields: readonly JacksonEntry[]): string | undefined {
  const key = text(field(fields, "nameAttributeKey"));
  const attributes = field(fields, "attributes");
  if (key === undefined || attributes === undefined) return undefined;
  const map = shapeOf(attributes);
  if (map.kind !== "object" || collectionKind(map.className) !== "map") return undefined;
  return text(field(map.fields, key));
}
