// Each e2e file starts a real n8n (and sometimes a sandbox): hooks need more than the unit default.
jest.setTimeout(300_000);
