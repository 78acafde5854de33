use sqlx::postgres::PgPoolOptions;
// scalelint: allow(no-such-rule) because
// scalelint: allow(oversized-pool, ) trailing
pub async fn p() {
    // scalelint: allow(oversized-pool) the database is ours alone
    let _ = PgPoolOptions::new().max_connections(500); // scalelint: allow(
    let _ = "é☃𝄞"; let _ = r#"raw "quoted""#; let _ = b'\x00';
}
