"""Client-side building blocks for apps that sign in through Azure AD B2C and must keep working
when it is slow, throttling or down: an http client for msal with timeouts, retries that honour
Retry-After and a circuit breaker (`http`), last-known-good metadata on disk (`lastknown`), and
token validation against a cached, self-refreshing key set (`keys`)."""
