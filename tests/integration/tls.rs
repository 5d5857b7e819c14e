//! HTTPS: verified by default (an untrusted certificate is an `<error type="tls">`), a custom
//! CA in the suite, an explicit `insecure` that warns, and certificate expiry checks.

use crate::fixture::CERT_DAYS;
use crate::support::*;

fn https_suite(name: &str, tls: &str, expect: &str) -> Suite {
    Suite::new(name).yaml(&format!(
        r#"
        name: {name}
        base_url: ${{{{ env.HTTPS_URL }}}}
        {tls}
        checks:
          - name: health over https
            request: GET /health
            expect: {expect}
        "#
    ))
}

fn https_run(fx: &crate::fixture::Fixture, suite: &Suite) -> Run {
    Run::new()
        .suite(suite)
        .file("certs/ca.pem", fx.ca_pem.as_deref().expect("the fixture serves HTTPS"))
        .env("HTTPS_URL", fx.https_url.as_deref().expect("https url"))
}

#[test]
fn an_untrusted_certificate_is_a_tls_error() {
    let fx = tls_app();
    let suite = https_suite("untrusted", "", "{ status: 200 }");
    let done = https_run(&fx, &suite).run();
    done.assert_exit(1);
    let error = done.case("health over https").expect("error", "tls");
    assert!(error.attr("message").unwrap_or("").contains(fx.https_url.as_deref().unwrap_or("?")), "{:?}", error.attrs);
    done.assert_stdout_has("ERROR (tls)");
    assert_eq!(fx.hits("/health"), 0);
}

#[test]
fn a_ca_named_in_the_suite_is_trusted() {
    let fx = tls_app();
    let suite =
        https_suite("trusted", "tls: { ca: certs/ca.pem }", "{ status: 200, certificate: { days_left: { gt: 20 } } }");
    let done = https_run(&fx, &suite).run();
    done.assert_exit(0);
    assert_eq!(fx.hits("/health"), 1);
    assert!(!done.stdout.contains("warning"), "{}", done.stdout);
}

#[test]
fn a_certificate_expiring_too_soon_fails() {
    let fx = tls_app();
    let suite = https_suite("expiring", "tls: { ca: certs/ca.pem }", "{ certificate: { days_left: { gte: 60 } } }");
    let done = https_run(&fx, &suite).run();
    done.assert_exit(1);
    let failure = done.case("health over https").expect("failure", "assertion");
    let message = failure.attr("message").unwrap_or("");
    assert!(message.contains("days_left") && message.contains(">= 60"), "{message}");
    // The fixture's certificate ends CERT_DAYS from now: a few seconds less is one day less.
    let shown = [CERT_DAYS, CERT_DAYS - 1].iter().any(|d| message.contains(&format!("got {d}")));
    assert!(shown, "the days left are not {} or {}: {message}", CERT_DAYS, CERT_DAYS - 1);
    assert!(failure.text.contains(&suite.at("days_left:", "{ gte")), "{}", failure.text);
}

#[test]
fn insecure_skips_verification_and_says_so() {
    let fx = tls_app();
    let suite =
        https_suite("insecure", "tls: { insecure: true }", "{ status: 200, certificate: { days_left: { lte: 31 } } }");
    let done = https_run(&fx, &suite).run();
    done.assert_exit(0);
    done.assert_stdout_has("warning");
    done.assert_stdout_has("insecure");
}

#[test]
fn a_ca_file_that_is_not_a_certificate_is_reported() {
    let fx = tls_app();
    let suite = https_suite("badca", "tls: { ca: certs/not-a-ca.pem }", "{ status: 200 }");
    let done = https_run(&fx, &suite).file("certs/not-a-ca.pem", "hello\n").run();
    assert_ne!(done.code, 0, "{}", done.output());
    let missing = https_suite("noca", "tls: { ca: certs/missing.pem }", "{ status: 200 }");
    let done = Run::validate().suite(&missing).env("HTTPS_URL", "https://127.0.0.1:9").run();
    done.assert_exit(2);
    done.assert_stderr_has(&missing.at("tls: { ca:", "certs/missing.pem"));
}
