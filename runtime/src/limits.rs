//! What one client may take of a server: request rates (token buckets, through
//! `governor`) per session, per client address, per authenticated principal and
//! per tenant, concurrent requests per session, sessions, and open SSE streams.
//! Every limit is off unless set.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota};

/// A request rate: `count` requests per `period`, with bursts of up to `count`.
/// Written `20/s`, `600/m` or `10000/h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    count: NonZeroU32,
    period: Period,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Period {
    Second,
    Minute,
    Hour,
}

impl Rate {
    /// `count` requests per second.
    pub fn per_second(count: NonZeroU32) -> Rate {
        Rate {
            count,
            period: Period::Second,
        }
    }

    /// `count` requests per minute.
    pub fn per_minute(count: NonZeroU32) -> Rate {
        Rate {
            count,
            period: Period::Minute,
        }
    }

    /// `count` requests per hour.
    pub fn per_hour(count: NonZeroU32) -> Rate {
        Rate {
            count,
            period: Period::Hour,
        }
    }

    fn quota(self) -> Quota {
        match self.period {
            Period::Second => Quota::per_second(self.count),
            Period::Minute => Quota::per_minute(self.count),
            Period::Hour => Quota::per_hour(self.count),
        }
    }
}

impl FromStr for Rate {
    type Err = String;

    fn from_str(text: &str) -> Result<Rate, String> {
        let usage = || format!("`{text}` is not a rate like 20/s, 600/m or 10000/h");
        let (count, unit) = text.trim().split_once('/').ok_or_else(usage)?;
        let count: NonZeroU32 = count.trim().parse().map_err(|_| usage())?;
        match unit.trim() {
            "s" => Ok(Rate::per_second(count)),
            "m" => Ok(Rate::per_minute(count)),
            "h" => Ok(Rate::per_hour(count)),
            _ => Err(usage()),
        }
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.period {
            Period::Second => "s",
            Period::Minute => "m",
            Period::Hour => "h",
        };
        write!(f, "{}/{unit}", self.count)
    }
}

/// The limits of a server. Each is off (`None`) by default; a client over one gets
/// a clear error and everything else goes on: HTTP 429 with `Retry-After` for a
/// rate or concurrency limit, 503 with `Retry-After` for the session or stream
/// cap, and on stdio the JSON-RPC error -32000 with `data.retryAfterMs`.
///
/// ```
/// use mcpgen_runtime::Limits;
///
/// let limits = Limits::default()
///     .rate_per_session("20/s".parse().unwrap())
///     .max_sessions(10_000)
///     .max_requests_per_session(8);
/// # let _ = limits;
/// ```
#[derive(Debug, Clone, Default)]
pub struct Limits {
    /// Requests per session (HTTP sessions and a stdio client).
    pub rate_per_session: Option<Rate>,
    /// Requests per client IP address (HTTP; the address comes from the
    /// connection, or from a [`ClientAddr`](crate::ClientAddr) an outer layer put in the
    /// request).
    pub rate_per_client: Option<Rate>,
    /// Requests per authenticated principal (issuer, subject and tenant of a
    /// verified token), across its sessions and addresses.
    pub rate_per_principal: Option<Rate>,
    /// Requests per tenant (the token's tenant claim), across its principals.
    pub rate_per_tenant: Option<Rate>,
    /// HTTP requests of one authenticated principal being answered at once (a
    /// batch counts once; an SSE answer until it ends; a task only while the
    /// request that started it is answered).
    pub max_requests_per_principal: Option<usize>,
    /// HTTP requests of one tenant being served at once, as the principal's.
    pub max_requests_per_tenant: Option<usize>,
    /// Sessions open at once (HTTP); `initialize` beyond it gets 503.
    pub max_sessions: Option<usize>,
    /// Requests of one session being served at once.
    pub max_requests_per_session: Option<usize>,
    /// SSE connections open at once (HTTP); a GET stream or a 2026 listen beyond
    /// it gets 503.
    pub max_sse_streams: Option<usize>,
}

impl Limits {
    /// Requests per session (`--rate-limit-per-session`, `MCPGEN_RATE_LIMIT_PER_SESSION`).
    pub fn rate_per_session(mut self, rate: Rate) -> Self {
        self.rate_per_session = Some(rate);
        self
    }

    /// Requests per client address (`--rate-limit-per-client`, `MCPGEN_RATE_LIMIT_PER_CLIENT`).
    pub fn rate_per_client(mut self, rate: Rate) -> Self {
        self.rate_per_client = Some(rate);
        self
    }

    /// Requests per authenticated principal (`--rate-limit-per-principal`,
    /// `MCPGEN_RATE_LIMIT_PER_PRINCIPAL`).
    pub fn rate_per_principal(mut self, rate: Rate) -> Self {
        self.rate_per_principal = Some(rate);
        self
    }

    /// Requests per tenant (`--rate-limit-per-tenant`, `MCPGEN_RATE_LIMIT_PER_TENANT`).
    pub fn rate_per_tenant(mut self, rate: Rate) -> Self {
        self.rate_per_tenant = Some(rate);
        self
    }

    /// Requests of one principal served at once (`--max-requests-per-principal`,
    /// `MCPGEN_MAX_REQUESTS_PER_PRINCIPAL`).
    pub fn max_requests_per_principal(mut self, requests: usize) -> Self {
        self.max_requests_per_principal = Some(requests);
        self
    }

    /// Requests of one tenant served at once (`--max-requests-per-tenant`,
    /// `MCPGEN_MAX_REQUESTS_PER_TENANT`).
    pub fn max_requests_per_tenant(mut self, requests: usize) -> Self {
        self.max_requests_per_tenant = Some(requests);
        self
    }

    /// Sessions open at once (`--max-sessions`, `MCPGEN_MAX_SESSIONS`).
    pub fn max_sessions(mut self, sessions: usize) -> Self {
        self.max_sessions = Some(sessions);
        self
    }

    /// Requests of one session served at once (`--max-requests-per-session`,
    /// `MCPGEN_MAX_REQUESTS_PER_SESSION`).
    pub fn max_requests_per_session(mut self, requests: usize) -> Self {
        self.max_requests_per_session = Some(requests);
        self
    }

    /// SSE connections open at once (`--max-sse-streams`, `MCPGEN_MAX_SSE_STREAMS`).
    pub fn max_sse_streams(mut self, streams: usize) -> Self {
        self.max_sse_streams = Some(streams);
        self
    }
}

/// A limit a request ran into, and when to try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Exceeded {
    pub limit: Limit,
    pub retry_after: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Limit {
    SessionRate,
    ClientRate,
    PrincipalRate,
    TenantRate,
    Concurrency,
    PrincipalConcurrency,
    TenantConcurrency,
    Sessions,
    Streams,
}

impl Exceeded {
    fn new(limit: Limit, retry_after: Duration) -> Exceeded {
        Exceeded { limit, retry_after }
    }

    /// Whether it is a rate (or concurrency) limit: 429; caps are 503.
    pub(crate) fn is_rate(&self) -> bool {
        matches!(
            self.limit,
            Limit::SessionRate
                | Limit::ClientRate
                | Limit::PrincipalRate
                | Limit::TenantRate
                | Limit::Concurrency
                | Limit::PrincipalConcurrency
                | Limit::TenantConcurrency
        )
    }

    /// What the client is told.
    pub(crate) fn message(&self) -> String {
        let what = match self.limit {
            Limit::SessionRate => "this session sends requests faster than the server allows",
            Limit::ClientRate => "this client sends requests faster than the server allows",
            Limit::PrincipalRate => "this caller sends requests faster than the server allows",
            Limit::TenantRate => "this tenant sends requests faster than the server allows",
            Limit::Concurrency => {
                "this session has as many requests in flight as the server allows"
            }
            Limit::PrincipalConcurrency => {
                "this caller has as many requests in flight as the server allows"
            }
            Limit::TenantConcurrency => {
                "this tenant has as many requests in flight as the server allows"
            }
            Limit::Sessions => "the server holds as many sessions as it allows",
            Limit::Streams => "the server has as many SSE streams open as it allows",
        };
        format!(
            "{}: {what}; retry in {} ms",
            if self.is_rate() {
                "Too Many Requests"
            } else {
                "Service Unavailable"
            },
            self.retry_after.as_millis()
        )
    }

    /// `Retry-After` in whole seconds, at least 1.
    pub(crate) fn retry_after_secs(&self) -> u64 {
        self.retry_after.as_secs_f64().ceil().max(1.0) as u64
    }
}

/// A session's own token bucket.
pub(crate) struct SessionRate(DefaultDirectRateLimiter);

impl SessionRate {
    /// Takes `n` requests' tokens, or says when they would be there.
    pub(crate) fn check(&self, n: usize) -> Result<(), Exceeded> {
        let n = NonZeroU32::new(u32::try_from(n).unwrap_or(u32::MAX)).unwrap_or(NonZeroU32::MIN);
        match self.0.check_n(n) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => Err(Exceeded::new(
                Limit::SessionRate,
                not_until.wait_time_from(DefaultClock::default().now()),
            )),
            // More at once than the bucket ever holds: wait a whole period.
            Err(_) => Err(Exceeded::new(Limit::SessionRate, Duration::from_secs(1))),
        }
    }
}

/// The limiters of one server.
pub(crate) struct Limiters {
    pub limits: Limits,
    per_client: Option<DefaultKeyedRateLimiter<IpAddr>>,
    per_principal: Option<DefaultKeyedRateLimiter<String>>,
    per_tenant: Option<DefaultKeyedRateLimiter<String>>,
    /// Requests in flight per principal and per tenant, when capped.
    principals_in_flight: Arc<InFlight>,
    tenants_in_flight: Arc<InFlight>,
}

/// Requests in flight by key (a principal's owner key, a tenant), while a cap
/// applies; keys leave when their count returns to zero.
#[derive(Default)]
struct InFlight(Mutex<HashMap<String, usize>>);

/// One request's place in its principal's and tenant's counts, given back when
/// dropped (with the request's answer, once sent).
#[derive(Default)]
pub(crate) struct InFlightSlots(Vec<(Arc<InFlight>, String)>);

impl Drop for InFlightSlots {
    fn drop(&mut self) {
        for (in_flight, key) in &self.0 {
            let mut counts = in_flight.0.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(n) = counts.get_mut(key) {
                *n -= 1;
                if *n == 0 {
                    counts.remove(key);
                }
            }
        }
    }
}

impl std::fmt::Debug for InFlightSlots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InFlightSlots")
    }
}

impl Limiters {
    pub(crate) fn new(limits: Limits) -> Limiters {
        Limiters {
            per_client: limits
                .rate_per_client
                .map(|r| DefaultKeyedRateLimiter::keyed(r.quota())),
            per_principal: limits
                .rate_per_principal
                .map(|r| DefaultKeyedRateLimiter::keyed(r.quota())),
            per_tenant: limits
                .rate_per_tenant
                .map(|r| DefaultKeyedRateLimiter::keyed(r.quota())),
            principals_in_flight: Arc::default(),
            tenants_in_flight: Arc::default(),
            limits,
        }
    }

    /// A new session's bucket, when sessions are rate limited.
    pub(crate) fn session_rate(&self) -> Option<SessionRate> {
        self.limits
            .rate_per_session
            .map(|r| SessionRate(DefaultDirectRateLimiter::direct(r.quota())))
    }

    /// Takes a token of the client's bucket.
    pub(crate) fn check_client(&self, client: Option<IpAddr>) -> Result<(), Exceeded> {
        let (Some(limiter), Some(client)) = (&self.per_client, client) else {
            return Ok(());
        };
        limiter.check_key(&client).map_err(|not_until| {
            Exceeded::new(
                Limit::ClientRate,
                not_until.wait_time_from(DefaultClock::default().now()),
            )
        })
    }

    /// Whether principals or tenants are rate limited (so the caller need not make
    /// their keys).
    pub(crate) fn limits_principals(&self) -> bool {
        let l = &self.limits;
        self.per_principal.is_some()
            || self.per_tenant.is_some()
            || l.max_requests_per_principal.is_some()
            || l.max_requests_per_tenant.is_some()
    }

    /// Counts one more request of this principal and tenant in flight, or refuses
    /// it over their caps (taking nothing then).
    pub(crate) fn enter_principal(
        &self,
        owner_key: &str,
        tenant: Option<&str>,
    ) -> Result<InFlightSlots, Exceeded> {
        let mut slots = InFlightSlots::default();
        let caps = [
            (
                self.limits.max_requests_per_principal,
                &self.principals_in_flight,
                Some(owner_key),
                Limit::PrincipalConcurrency,
            ),
            (
                self.limits.max_requests_per_tenant,
                &self.tenants_in_flight,
                tenant,
                Limit::TenantConcurrency,
            ),
        ];
        for (max, in_flight, key, limit) in caps {
            let (Some(max), Some(key)) = (max, key) else {
                continue;
            };
            let mut counts = in_flight.0.lock().unwrap_or_else(PoisonError::into_inner);
            if counts.get(key).is_some_and(|&n| n >= max) || max == 0 {
                drop(counts);
                // `slots` gives back what was taken so far.
                return Err(Exceeded::new(limit, Duration::from_secs(1)));
            }
            *counts.entry(key.to_owned()).or_insert(0) += 1;
            drop(counts);
            slots.0.push((in_flight.clone(), key.to_owned()));
        }
        Ok(slots)
    }

    /// Takes a token of the principal's bucket (keyed by its owner key), then of
    /// its tenant's.
    pub(crate) fn check_principal(
        &self,
        owner_key: &str,
        tenant: Option<&str>,
    ) -> Result<(), Exceeded> {
        let check = |limiter: &DefaultKeyedRateLimiter<String>, key: &str, limit| {
            // `check_key` takes the key type itself; the owned copy is made only
            // when limits are on.
            limiter.check_key(&key.to_owned()).map_err(|not_until| {
                Exceeded::new(
                    limit,
                    not_until.wait_time_from(DefaultClock::default().now()),
                )
            })
        };
        if let Some(limiter) = &self.per_principal {
            check(limiter, owner_key, Limit::PrincipalRate)?;
        }
        match (&self.per_tenant, tenant) {
            (Some(limiter), Some(tenant)) => check(limiter, tenant, Limit::TenantRate),
            _ => Ok(()),
        }
    }

    /// Refuses `adding` more requests to a session serving `in_flight`.
    pub(crate) fn check_concurrency(
        &self,
        in_flight: usize,
        adding: usize,
    ) -> Result<(), Exceeded> {
        match self.limits.max_requests_per_session {
            Some(max) if in_flight + adding > max => {
                Err(Exceeded::new(Limit::Concurrency, Duration::from_secs(1)))
            }
            _ => Ok(()),
        }
    }

    /// Refuses a new session when `open` are.
    pub(crate) fn check_sessions(&self, open: usize) -> Result<(), Exceeded> {
        match self.limits.max_sessions {
            Some(max) if open >= max => Err(Exceeded::new(Limit::Sessions, Duration::from_secs(5))),
            _ => Ok(()),
        }
    }

    /// Refuses a new long-lived stream when `open` are.
    pub(crate) fn check_streams(&self, open: usize) -> Result<(), Exceeded> {
        match self.limits.max_sse_streams {
            Some(max) if open >= max => Err(Exceeded::new(Limit::Streams, Duration::from_secs(5))),
            _ => Ok(()),
        }
    }

    /// Forgets idle clients' buckets (full buckets need no memory).
    pub(crate) fn sweep(&self) {
        if let Some(limiter) = &self.per_client {
            limiter.retain_recent();
        }
        for limiter in [&self.per_principal, &self.per_tenant]
            .into_iter()
            .flatten()
        {
            limiter.retain_recent();
        }
    }
}

impl Default for Limiters {
    fn default() -> Self {
        Limiters::new(Limits::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_and_print() {
        for text in ["20/s", "600/m", "10000/h"] {
            assert_eq!(text.parse::<Rate>().unwrap().to_string(), text);
        }
        for bad in ["", "20", "0/s", "-1/s", "20/d", "x/s"] {
            let e = bad.parse::<Rate>().unwrap_err();
            assert!(e.contains("20/s"), "{e}");
        }
    }

    #[test]
    fn a_session_bucket_allows_its_burst_then_says_when() {
        let limiters = Limiters::new(Limits::default().rate_per_session("3/s".parse().unwrap()));
        let bucket = limiters.session_rate().unwrap();
        assert!(bucket.check(2).is_ok());
        assert!(bucket.check(1).is_ok());
        let e = bucket.check(1).unwrap_err();
        assert_eq!(e.limit, Limit::SessionRate);
        assert!(e.retry_after > Duration::ZERO && e.retry_after <= Duration::from_secs(1));
        assert_eq!(e.retry_after_secs(), 1);
        assert!(e.is_rate());
        assert!(
            e.message().starts_with("Too Many Requests"),
            "{}",
            e.message()
        );
    }

    #[test]
    fn clients_have_their_own_buckets() {
        let limiters = Limiters::new(Limits::default().rate_per_client("1/m".parse().unwrap()));
        let a = IpAddr::from([127, 0, 0, 1]);
        let b = IpAddr::from([127, 0, 0, 2]);
        assert!(limiters.check_client(Some(a)).is_ok());
        assert!(limiters.check_client(Some(a)).is_err());
        assert!(limiters.check_client(Some(b)).is_ok());
        assert!(limiters.check_client(None).is_ok(), "no address, no limit");
    }

    #[test]
    fn principals_and_tenants_have_requests_in_flight_capped() {
        let limiters = Limiters::new(
            Limits::default()
                .max_requests_per_principal(2)
                .max_requests_per_tenant(3),
        );
        let a1 = limiters.enter_principal("a", Some("t")).unwrap();
        let _a2 = limiters.enter_principal("a", Some("t")).unwrap();
        let over = limiters.enter_principal("a", Some("t")).err().unwrap();
        assert_eq!(over.limit, Limit::PrincipalConcurrency);
        let _b1 = limiters.enter_principal("b", Some("t")).unwrap();
        let full = limiters.enter_principal("c", Some("t")).err().unwrap();
        assert_eq!(full.limit, Limit::TenantConcurrency);
        // A refusal by the tenant gave back the principal's slot it took.
        assert!(limiters.enter_principal("c", Some("u")).is_ok());
        drop(a1);
        assert!(limiters.enter_principal("c", Some("t")).is_ok());
        let _a3 = limiters.enter_principal("a", None).unwrap();
        assert!(limiters.enter_principal("a", None).is_err(), "a holds two");
    }

    #[test]
    fn caps() {
        let limiters = Limiters::new(
            Limits::default()
                .max_sessions(2)
                .max_requests_per_session(2)
                .max_sse_streams(1),
        );
        assert!(limiters.check_sessions(1).is_ok());
        let e = limiters.check_sessions(2).unwrap_err();
        assert!(!e.is_rate());
        assert!(e.message().starts_with("Service Unavailable"));
        assert!(limiters.check_concurrency(1, 1).is_ok());
        assert!(limiters.check_concurrency(1, 2).is_err());
        assert!(limiters.check_streams(0).is_ok());
        assert!(limiters.check_streams(1).is_err());
        let none = Limiters::default();
        assert!(none.check_sessions(usize::MAX).is_ok());
        assert!(none.session_rate().is_none());
    }
}
