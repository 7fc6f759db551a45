/** Redaction of token shapes and of token-named environment variables, line by line. */
import { describe, expect, it } from 'vitest';
import { redact, registerEnvSecrets } from '../../src/log/redact.js';

describe('redact', () => {
  it.each([
    ['https://user:pa55word@git.example.com/a.git', 'https://***@git.example.com/a.git'],
    ['https://ghp_abcdefghijklmnopqrstuvwxyz0123@github.com/o/r', 'https://***@github.com/o/r'],
    ['ssh://git:tok@host:22/r.git and git@host:r.git', 'ssh://***@host:22/r.git and git@host:r.git'],
    ['token ghp_abcdefghijklmnopqrstuvwxyz0123 here', 'token *** here'],
    ['pat github_pat_11ABCDEFG0123456789_abcdefghijklmnop', 'pat ***'],
    ['gitlab glpat-abcdefghij0123456789', 'gitlab ***'],
    ['Authorization: Bearer abc.def.ghi', 'Authorization: Bearer ***'],
    ['GET /api/v4/projects?private_token=s3cr3tvalue&per_page=5', 'GET /api/v4/projects?private_token=***&per_page=5'],
    ['jwt eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwcm9qZWN0In0.c2lnbmF0dXJlLXBhcnQ ok', 'jwt *** ok'],
  ])('%s', (input, want) => {
    expect(redact(input)).toBe(want);
  });

  it('masks the values of token-named environment variables, not of others', () => {
    registerEnvSecrets({ CI_JOB_JWT_V2: 'jwt-value-CANARY-1', DEPLOY_PAT: 'pat-value-CANARY-2', AWS_SECRET_ACCESS_KEY: 'aws-CANARY-3', GOOGLE_CREDENTIALS: 'gcp-CANARY-4', HOME_DIR_NAME: 'not-a-secret-5' });
    expect(redact('a jwt-value-CANARY-1 b pat-value-CANARY-2 c aws-CANARY-3 d gcp-CANARY-4 e not-a-secret-5')).toBe('a *** b *** c *** d *** e not-a-secret-5');
  });
});
