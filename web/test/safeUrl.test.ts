import { describe, expect, it } from 'vitest';

import { safeHttpUrl } from '@/lib/safeUrl';

describe('safeHttpUrl', () => {
  it('links http and https only', () => {
    expect(safeHttpUrl('https://example.com/out/bafy')).toBe('https://example.com/out/bafy');
    expect(safeHttpUrl(' http://10.0.0.1:8090/x ')).toBe('http://10.0.0.1:8090/x');
  });
  it('refuses script, data, file, s3 and malformed URLs', () => {
    for (const bad of ['javascript:alert(1)', ' JavaScript:alert(1)', 'data:text/html,<script>1</script>', 'file:///etc/passwd', 's3://bucket/cid', '/relative', 'not a url', '', null, undefined]) {
      expect(safeHttpUrl(bad)).toBeNull();
    }
  });
});
