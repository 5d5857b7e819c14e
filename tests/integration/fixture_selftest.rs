//! Checks that the fixture app (tests/fixture/mod.rs) behaves as the other tests expect.

use std::time::Duration;

use crate::fixture::{Fixture, FixtureConfig};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn http_only() -> FixtureConfig {
    FixtureConfig { https: false, ..FixtureConfig::default() }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn api_token(c: &reqwest::Client, fx: &Fixture) -> String {
    let r = c
        .post(fx.url("/api/login"))
        .json(&serde_json::json!({ "username": "smoke-bot", "password": "hunter2-smoke" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    v["token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn health_and_version() {
    let fx = Fixture::start(http_only());
    assert!(fx.http_url.starts_with("http://127.0.0.1:") && !fx.http_url.ends_with('/'));
    let r = client().get(fx.url("/health")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(r.json::<Value>().await.unwrap(), serde_json::json!({ "status": "ok" }));
    let v: Value = client().get(fx.url("/version")).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["commit"], "c0ffee1");
    assert_eq!(v["version"], "1.4.2");
    assert_eq!(fx.hits("/health"), 1);
}

#[test]
fn usable_without_a_runtime_and_stops_on_drop() {
    let fx = Fixture::start(http_only());
    let addr = format!("127.0.0.1:{}", fx.http_port);
    assert!(std::net::TcpStream::connect(&addr).is_ok());
    drop(fx);
    assert!(std::net::TcpStream::connect(&addr).is_err(), "still listening after drop");
}

#[tokio::test]
async fn login_flow_cookie_then_me() {
    let fx = Fixture::start(http_only());
    let c = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();

    let r = c.get(fx.url("/api/me")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = c.get(fx.url("/dashboard")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login");

    let page = c.get(fx.url("/login")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("<title>Log in · Acme</title>"));
    assert!(page.contains(r#"<input id="password" name="password" type="password">"#));

    let r = c.post(fx.url("/login")).form(&[("username", "smoke-bot"), ("password", "wrong")]).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("Invalid username or password"));

    let r = c
        .post(fx.url("/login"))
        .form(&[("username", "smoke-bot"), ("password", "hunter2-smoke")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/dashboard");
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("session=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));

    let me: Value = c.get(fx.url("/api/me")).send().await.unwrap().json().await.unwrap();
    assert_eq!(me, serde_json::json!({ "username": "smoke-bot", "roles": ["maintainer"], "id": 42 }));
    let dash = c.get(fx.url("/dashboard")).send().await.unwrap().text().await.unwrap();
    assert!(dash.contains("<h1>Welcome, smoke-bot</h1>"));
    assert!(dash.contains(r#"<span class="role">maintainer</span>"#));
    let broken = c.get(fx.url("/broken/dashboard")).send().await.unwrap().text().await.unwrap();
    assert!(broken.contains(r#"<span class="role">viewer</span>"#));

    let r = c.post(fx.url("/logout")).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert!(r.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    assert_eq!(c.get(fx.url("/api/me")).send().await.unwrap().status(), 401);
    assert_eq!(fx.session_count(), 0);
}

#[tokio::test]
async fn api_login_bearer_and_bad_bodies() {
    let fx = Fixture::start(http_only());
    let c = client();
    let token = api_token(&c, &fx).await;
    let r = c.get(fx.url("/api/me")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 200);

    let r = c
        .post(fx.url("/api/login"))
        .json(&serde_json::json!({ "username": "smoke-bot", "password": "nope" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid credentials");

    let r = c.post(fx.url("/api/login")).body("{not json").send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.json::<Value>().await.unwrap()["error"].is_string());

    let r = c.get(fx.url("/api/me")).bearer_auth("forged").send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "unauthorized");
}

#[tokio::test]
async fn upload_download_delete() {
    let fx = Fixture::start(http_only());
    let c = client();
    let token = api_token(&c, &fx).await;
    let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let expected_sha = hex::encode(Sha256::digest(&data));

    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(data.clone()).file_name("smoke.png").mime_str("image/png").unwrap(),
        )
        .text("note", "from the selftest");
    let r = c.post(fx.url("/api/files")).bearer_auth(&token).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let v: Value = r.json().await.unwrap();
    assert_eq!(location, format!("/api/files/{}", v["id"].as_str().unwrap()));
    assert_eq!(v["name"], "smoke.png");
    assert_eq!(v["size"], 100_000);
    assert_eq!(v["sha256"], expected_sha.as_str());
    assert_eq!(v["content_type"], "image/png");
    assert_eq!(v["fields"]["note"], "from the selftest");
    assert_eq!(fx.file_count(), 1);

    let r = c.get(fx.url(&location)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.bytes().await.unwrap().as_ref(), data.as_slice());

    let list: Value = c.get(fx.url("/api/files")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["count"], 1);

    assert_eq!(c.delete(fx.url(&location)).bearer_auth(&token).send().await.unwrap().status(), 204);
    assert_eq!(c.get(fx.url(&location)).bearer_auth(&token).send().await.unwrap().status(), 404);
    assert_eq!(c.delete(fx.url(&location)).bearer_auth(&token).send().await.unwrap().status(), 404);
    let list: Value = c.get(fx.url("/api/files")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["count"], 0);
    assert_eq!(fx.file_count(), 0);

    // No auth, no file field, not multipart at all.
    let form = reqwest::multipart::Form::new().text("file2", "x");
    assert_eq!(c.post(fx.url("/api/files")).multipart(form).send().await.unwrap().status(), 401);
    let form = reqwest::multipart::Form::new().text("other", "x");
    let r = c.post(fx.url("/api/files")).bearer_auth(&token).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let r = c
        .post(fx.url("/api/files"))
        .bearer_auth(&token)
        .header("content-type", "multipart/form-data; boundary=xyz")
        .body("garbage")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = c.post(fx.url("/api/files")).bearer_auth(&token).body("plain").send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(c.get(fx.url("/api/files/zzz")).bearer_auth(&token).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn browser_upload_form_stores_the_file() {
    let fx = Fixture::start(http_only());
    let c = client();
    let token = api_token(&c, &fx).await;
    let page = c.get(fx.url("/upload")).bearer_auth(&token).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(r#"<input type="file" id="file" name="file">"#));
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(b"hello".to_vec()).file_name("a<b>.txt"));
    let r = c.post(fx.url("/upload")).bearer_auth(&token).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains(r#"<span class="file-name">a&lt;b&gt;.txt</span>"#), "{html}");
    assert!(html.contains(&format!(r#"<code class="sha256">{}</code>"#, hex::encode(Sha256::digest(b"hello")))));
    assert_eq!(fx.file_count(), 1);
}

#[tokio::test]
async fn rollout_switches_after_the_delay() {
    let fx = Fixture::start(FixtureConfig { rollout_after: Duration::from_millis(300), ..http_only() });
    let c = client();
    let commit = |v: Value| v["commit"].as_str().unwrap().to_string();
    let first = commit(c.get(fx.url("/rollout/version")).send().await.unwrap().json().await.unwrap());
    assert_eq!(first, "0000000");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let later = commit(c.get(fx.url("/rollout/version")).send().await.unwrap().json().await.unwrap());
    assert_eq!(later, "c0ffee1");
}

#[tokio::test]
async fn flaky_counts_per_key() {
    let fx = Fixture::start(http_only());
    let c = client();
    let mut seen = Vec::new();
    for _ in 0..3 {
        let r = c.get(fx.url("/flaky/a?fail=2")).send().await.unwrap();
        let status = r.status().as_u16();
        let v: Value = r.json().await.unwrap();
        seen.push((status, v["attempt"].as_u64().unwrap()));
    }
    assert_eq!(seen, vec![(503, 1), (503, 2), (200, 3)]);
    let r = c.get(fx.url("/flaky/b?fail=1")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(fx.hits("/flaky/a"), 3);
}

#[tokio::test]
async fn odd_endpoints() {
    let fx = Fixture::start(http_only());
    let c = client();
    assert_eq!(c.get(fx.url("/status/418")).send().await.unwrap().status(), 418);
    assert_eq!(c.get(fx.url("/status/150")).send().await.unwrap().status(), 400);
    assert_eq!(c.get(fx.url("/status/nope")).send().await.unwrap().status(), 400);
    let bin = c.get(fx.url("/binary")).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(bin.len(), 4096);
    assert!(std::str::from_utf8(&bin).is_err());
    let big = c.get(fx.url("/big?bytes=300000")).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(big.len(), 300_000);
    assert!(big.iter().all(|&b| b == b'a'));
    let r = c.get(fx.url("/redirect/chain?n=2")).send().await.unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"], "/redirect/chain?n=1");
    let echo: Value = c
        .patch(fx.url("/echo?x=1"))
        .header("X-Custom", "yes")
        .json(&serde_json::json!({ "a": [1, 2] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(echo["method"], "PATCH");
    assert_eq!(echo["query"]["x"], "1");
    assert_eq!(echo["headers"]["x-custom"], "yes");
    assert_eq!(echo["body_json"]["a"][1], 2);
    let err = c.get(fx.url("/hang")).timeout(Duration::from_millis(300)).send().await.unwrap_err();
    assert!(err.is_timeout());
    let products: Value = c.get(fx.url("/api/products")).send().await.unwrap().json().await.unwrap();
    assert_eq!(products["items"][2]["price"], 999.99);
}

#[tokio::test]
async fn https_needs_the_fixture_certificate() {
    let fx = Fixture::start(FixtureConfig::default());
    let https = fx.https_url.clone().expect("https is on by default");
    let pem = fx.ca_pem.clone().expect("certificate PEM");

    let trusting = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let r = trusting.get(format!("{https}/health")).send().await.unwrap();
    assert_eq!(r.status(), 200);

    let plain = reqwest::Client::new();
    assert!(plain.get(format!("{https}/health")).send().await.is_err());

    // The certificate is valid for about cert_not_after_days more days.
    let (_, parsed) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).unwrap();
    let cert = parsed.parse_x509().unwrap();
    let left = cert.validity().time_to_expiration().unwrap();
    assert_eq!(fx.cert_not_after_days, 30);
    assert!((left.whole_days() - fx.cert_not_after_days).abs() <= 1, "{left:?}");
}
