//! A fresh PostgreSQL database for one test, when `WARROOM_TEST_POSTGRES_URL` names a server.

use sqlx::{AssertSqlSafe, Connection, PgConnection};

/// The environment variable naming the test PostgreSQL server.
pub const POSTGRES_ENV: &str = "WARROOM_TEST_POSTGRES_URL";

/// A database made for this test: the server's URL, the database's name and its URL.
/// `None` (and a line saying the test was skipped) when no server is configured.
pub async fn fresh_postgres(test: &str, prefix: &str) -> Option<(String, String, String)> {
    let Ok(server) = std::env::var(POSTGRES_ENV) else {
        println!("skipped {test} on PostgreSQL: set {POSTGRES_ENV} to run it");
        return None;
    };
    let name = format!(
        "warroom_{prefix}_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp_subsec_nanos()
    );
    let mut admin = PgConnection::connect(&server)
        .await
        .expect("the PostgreSQL server answers");
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("a fresh database");
    let mut url = url::Url::parse(&server).expect("a PostgreSQL URL");
    url.set_path(&name);
    Some((server, name, url.to_string()))
}

/// Connections to the database `name` refused (`allow`: false, and every open one ended) or
/// allowed again.
pub async fn allow_connections(server: &str, name: &str, allow: bool) {
    let mut admin = PgConnection::connect(server).await.expect("connects");
    let statements = [
        format!("ALTER DATABASE {name} ALLOW_CONNECTIONS {allow}"),
        format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{name}' AND NOT {allow}"
        ),
    ];
    for statement in statements {
        sqlx::raw_sql(AssertSqlSafe(statement))
            .execute(&mut admin)
            .await
            .expect("the server takes it");
    }
}
