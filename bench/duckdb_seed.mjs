// DuckDB reference for `make bench`: the seed rule ("AWS IAM API Calls via
// Temporary Session Tokens") as SQL over the same raw CloudTrail NDJSON, one
// thread, an explicit column schema (no sampling). Prints matching rows and
// the new terms (distinct ARNs), so the work is comparable with a filter pass.
// Usage: node bench/duckdb_seed.mjs FILE   (needs @duckdb/node-api)
import { DuckDBInstance } from '@duckdb/node-api';

const file = process.argv[2];
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
await con.run('SET threads = 1');
const cols = `{eventTime: 'VARCHAR', eventSource: 'VARCHAR', eventName: 'VARCHAR',
  errorCode: 'VARCHAR', errorMessage: 'VARCHAR', sourceIPAddress: 'VARCHAR', userAgent: 'VARCHAR',
  sessionCredentialFromConsole: 'VARCHAR',
  userIdentity: 'STRUCT(type VARCHAR, arn VARCHAR, accessKeyId VARCHAR)'}`;
const sql = `
  SELECT count(*) AS matches, count(DISTINCT userIdentity.arn) AS new_terms
  FROM read_json('${file.replace(/'/g, "''")}', format = 'newline_delimited', columns = ${cols})
  WHERE eventSource = 'iam.amazonaws.com'
    AND errorCode IS NULL AND errorMessage IS NULL
    AND userIdentity.type = 'IAMUser'
    AND userIdentity.accessKeyId LIKE 'ASIA%'
    AND regexp_matches(sourceIPAddress, '^[0-9a-fA-F:.]+$')
    AND coalesce(userAgent, '') <> 'AWS Internal'
    AND coalesce(sessionCredentialFromConsole, '') <> 'true'`;
const reader = await con.runAndReadAll(sql);
console.log(JSON.stringify(reader.getRowObjectsJson()));
