//! Who a request acts for: read from a verified token's claims, or fixed by the
//! operator.

use std::fmt;

use serde_json::{Map, Value};

use super::Rejected;

/// Who a request acts for: the subject of a verified access token, with the
/// scopes, tenant and roles it carries; or a fixed principal (stdio's local
/// user, an operator's choice).
#[derive(Clone)]
pub struct Principal {
    issuer: String,
    subject: String,
    client_id: Option<String>,
    scopes: Vec<String>,
    tenant: Option<String>,
    roles: Vec<String>,
    claims: Map<String, Value>,
    /// The owner key, made once: a request may compare it several times.
    owner: std::sync::OnceLock<String>,
}

impl Principal {
    /// The issuer of the token; `local` for a fixed principal.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The subject (`sub`): the user, or the client acting for itself.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The OAuth client the token was issued to (`client_id`, else `azp`).
    pub fn client_id(&self) -> Option<&str> {
        self.client_id.as_deref()
    }

    /// The scopes granted, sorted and without duplicates.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// Whether a granted scope covers `scope`: the same scope, or one it is
    /// under (a grant of `notes` covers `notes:read`).
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|granted| {
            scope
                .strip_prefix(granted.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(':'))
        })
    }

    /// The tenant, from the configured tenant claim.
    pub fn tenant(&self) -> Option<&str> {
        self.tenant.as_deref()
    }

    /// The roles, from the configured role claim, sorted and without duplicates.
    pub fn roles(&self) -> &[String] {
        &self.roles
    }

    /// All the claims of the token (or of the introspection answer); empty for
    /// a fixed principal.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// A principal that is not from a token: stdio's local user or an
    /// operator's fixed principal. Its issuer is `local`.
    pub fn fixed(
        subject: impl Into<String>,
        scopes: impl IntoIterator<Item = impl Into<String>>,
    ) -> Principal {
        Principal {
            issuer: "local".to_owned(),
            subject: subject.into(),
            client_id: None,
            scopes: normalized(scopes.into_iter().map(Into::into).collect()),
            tenant: None,
            roles: Vec::new(),
            claims: Map::new(),
            owner: Default::default(),
        }
    }

    /// This principal, of `tenant`.
    pub fn with_tenant(mut self, tenant: impl Into<String>) -> Self {
        self.tenant = Some(tenant.into());
        self.owner = Default::default();
        self
    }

    /// This principal, with `roles` (in place of any it had).
    pub fn with_roles(mut self, roles: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.roles = normalized(roles.into_iter().map(Into::into).collect());
        self
    }

    /// Reads a principal from verified claims (the caller checked `iss`, `aud`
    /// and the times): `sub` and `iss` are required; scopes from `scope` and
    /// `scp`; the tenant from `tenant_claim`, roles from `role_claim`.
    pub(crate) fn from_claims(
        claims: Map<String, Value>,
        tenant_claim: Option<&str>,
        role_claim: &str,
    ) -> Result<Principal, Rejected> {
        let subject = match claims.get("sub") {
            Some(Value::String(sub)) if !sub.is_empty() => sub.clone(),
            _ => return Err(Rejected::MissingClaim("sub")),
        };
        let issuer = match claims.get("iss") {
            Some(Value::String(iss)) => iss.clone(),
            _ => return Err(Rejected::MissingClaim("iss")),
        };
        let client_id = ["client_id", "azp"]
            .iter()
            .find_map(|name| claims.get(*name)?.as_str())
            .map(str::to_owned);
        let mut scopes = words(claims.get("scope"));
        scopes.extend(words(claims.get("scp")));
        let tenant = tenant_claim
            .and_then(|name| match claims.get(name)? {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .filter(|t| !t.is_empty());
        let roles = words(claims.get(role_claim));
        Ok(Principal {
            issuer,
            subject,
            client_id,
            scopes: normalized(scopes),
            tenant,
            roles: normalized(roles),
            claims,
            owner: Default::default(),
        })
    }

    /// Adds scopes (the server expands roles into scopes).
    pub(crate) fn grant(&mut self, scopes: impl IntoIterator<Item = String>) {
        self.scopes.extend(scopes);
        self.scopes = normalized(std::mem::take(&mut self.scopes));
    }

    /// A key naming (issuer, subject, tenant) unambiguously, for binding
    /// sessions, tasks and sealed state to their owner. Each part is prefixed
    /// with its length, so no two triples share a key.
    pub(crate) fn owner_key(&self) -> &str {
        self.owner.get_or_init(|| self.make_owner_key())
    }

    fn make_owner_key(&self) -> String {
        let mut key = String::new();
        for part in [
            Some(&self.issuer),
            Some(&self.subject),
            self.tenant.as_ref(),
        ] {
            match part {
                Some(part) => key.push_str(&format!("{}:{part};", part.len())),
                // Not a digit: no tenant differs from an empty one.
                None => key.push('-'),
            }
        }
        key
    }
}

impl fmt::Debug for Principal {
    // The claims may hold personal data (names, emails): never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Principal")
            .field("issuer", &self.issuer)
            .field("subject", &self.subject)
            .field("client_id", &self.client_id)
            .field("scopes", &self.scopes)
            .field("tenant", &self.tenant)
            .field("roles", &self.roles)
            .finish_non_exhaustive()
    }
}

/// A claim holding a list of words: an array of strings (others skipped) or a
/// space-separated string.
fn words(claim: Option<&Value>) -> Vec<String> {
    match claim {
        Some(Value::String(s)) => s.split(' ').map(str::to_owned).collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| Some(item.as_str()?.to_owned()))
            .collect(),
        _ => Vec::new(),
    }
}

fn normalized(mut words: Vec<String>) -> Vec<String> {
    words.retain(|w| !w.is_empty());
    words.sort_unstable();
    words.dedup();
    words
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn claims(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn reads_the_claims() {
        let p = Principal::from_claims(
            claims(json!({
                "iss": "https://as", "sub": "alice", "azp": "app",
                "scope": "notes:read  files", "scp": ["files", "admin", 3],
                "org": 42, "groups": "b a b",
            })),
            Some("org"),
            "groups",
        )
        .unwrap();
        assert_eq!(p.issuer(), "https://as");
        assert_eq!(p.subject(), "alice");
        assert_eq!(p.client_id(), Some("app"));
        assert_eq!(p.scopes(), ["admin", "files", "notes:read"]);
        assert_eq!(p.tenant(), Some("42"));
        assert_eq!(p.roles(), ["a", "b"]);
        assert_eq!(p.claims().len(), 7);
    }

    #[test]
    fn client_id_wins_over_azp_and_odd_tenants_are_absent() {
        let p = Principal::from_claims(
            claims(json!({"iss": "i", "sub": "s", "client_id": "c", "azp": "a", "t": {"x": 1}})),
            Some("t"),
            "roles",
        )
        .unwrap();
        assert_eq!(p.client_id(), Some("c"));
        assert_eq!(p.tenant(), None);
        assert!(p.roles().is_empty());
    }

    #[test]
    fn sub_and_iss_are_required() {
        let missing = |v| Principal::from_claims(claims(v), None, "roles").err();
        assert_eq!(
            missing(json!({"iss": "i"})),
            Some(Rejected::MissingClaim("sub"))
        );
        assert_eq!(
            missing(json!({"iss": "i", "sub": ""})),
            Some(Rejected::MissingClaim("sub"))
        );
        assert_eq!(
            missing(json!({"sub": "s"})),
            Some(Rejected::MissingClaim("iss"))
        );
    }

    #[test]
    fn scope_hierarchy() {
        let p = Principal::fixed("me", ["notes", "files:read"]);
        assert!(p.has_scope("notes"));
        assert!(p.has_scope("notes:read"));
        assert!(p.has_scope("notes:read:deep"));
        assert!(!p.has_scope("notesx"));
        assert!(!p.has_scope("files"));
        assert!(p.has_scope("files:read"));
        assert!(!p.has_scope("files:write"));
        assert!(!p.has_scope(""));
    }

    #[test]
    fn grant_keeps_scopes_sorted_and_unique() {
        let mut p = Principal::fixed("me", ["b", "a"]);
        p.grant(["c".to_owned(), "a".to_owned(), String::new()]);
        assert_eq!(p.scopes(), ["a", "b", "c"]);
        assert_eq!(p.issuer(), "local");
    }

    #[test]
    fn owner_keys_are_unambiguous() {
        let key = |sub: &str, tenant: Option<&str>| {
            let p = Principal::fixed(sub, Vec::<String>::new());
            match tenant {
                Some(t) => p.with_tenant(t).owner_key().to_owned(),
                None => p.owner_key().to_owned(),
            }
        };
        assert_ne!(key("a", Some("bc")), key("ab", Some("c")));
        assert_ne!(key("a", None), key("a", Some("")));
        assert_ne!(key("a;1:b", None), key("a", Some("b")));
        assert_eq!(key("a", Some("b")), key("a", Some("b")));
    }

    #[test]
    fn debug_hides_the_claims() {
        let p = Principal::from_claims(
            claims(json!({"iss": "i", "sub": "s", "email": "secret@example.com"})),
            None,
            "roles",
        )
        .unwrap()
        .with_roles(["r"]);
        let debug = format!("{p:?}");
        assert!(debug.contains("\"s\""), "{debug}");
        assert!(!debug.contains("secret@example.com"), "{debug}");
    }
}
