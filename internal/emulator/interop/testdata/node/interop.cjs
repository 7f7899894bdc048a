// The official TypeScript SDKs against the emulator, signature V3: the typed ECS client
// (@alicloud/ecs20140526) and the generic callApi of @alicloud/openapi-client for EBS, which has no
// npm client. Run by `make interop-node` (run.sh), which serves the emulator from state.json and
// sets EMULATOR_ADDR. Exits 1 at the first answer that is not the expected one.
'use strict';
const Ecs = require('@alicloud/ecs20140526');
const OpenApi = require('@alicloud/openapi-client');

const addr = process.env.EMULATOR_ADDR;
const good = { accessKeyId: 'emulator-ak', accessKeySecret: 'emulator-secret', securityToken: 'emulator-token' };
const config = (cred) => new OpenApi.Config({ ...cred, endpoint: addr, protocol: 'http', regionId: 'cn-hangzhou' });

const ecs = new Ecs.default(config(good));
const api = new OpenApi.default(config(good));

function fail(msg) {
  console.error('FAIL: ' + msg);
  process.exit(1);
}

function diskIds(body) {
  return (body.disks?.disk ?? body.Disks?.Disk ?? []).map((d) => d.diskId ?? d.DiskId).sort();
}

function want(label, got, expected) {
  if (JSON.stringify(got) !== JSON.stringify(expected)) fail(`${label}: got ${JSON.stringify(got)}, want ${JSON.stringify(expected)}`);
}

// refused runs a call that must fail with this HTTP status and code.
async function refused(label, status, code, fn) {
  try {
    await fn();
  } catch (err) {
    const got = err.statusCode ?? err.data?.statusCode ?? err.data?.httpCode;
    console.log(`${label}\n    -> ${got} ${err.code}: ${String(err.data?.Message ?? err.message).split('\n')[0]}`);
    if (got !== status || err.code !== code) fail(`${label}: got ${got} ${err.code}, want ${status} ${code}`);
    return;
  }
  fail(`${label}: succeeded, want ${status} ${code}`);
}

function params(action, version, method = 'POST', reqBodyType = 'formData') {
  return new OpenApi.Params({ action, version, protocol: 'HTTP', pathname: '/', method, authType: 'AK',
    style: 'RPC', reqBodyType, bodyType: 'json' });
}

async function callApi(client, action, version, query, body, reqBodyType) {
  const req = new OpenApi.OpenApiRequest({ query, body });
  const label = `callApi ${version} ${action} query=${JSON.stringify(query)}` + (body ? ` ${reqBodyType ?? 'formData'} body=${JSON.stringify(body)}` : '');
  const resp = await client.callApi(params(action, version, 'POST', reqBodyType), req, {});
  return { label, resp };
}

function show(label, status, body) {
  const short = body.Disks ? { ...body, Disks: diskIds(body) } : body;
  console.log(`${label}\n    -> ${status} ${JSON.stringify(short)}`);
}

async function main() {
  // Reads with the typed ECS client: DiskIds, then a tag filter (Tag.1.Key/Tag.1.Value).
  let r = await ecs.describeDisks(new Ecs.DescribeDisksRequest({ regionId: 'cn-hangzhou', diskIds: '["d-bp1primary","d-bp1plain"]' }));
  console.log(`ecs20140526 describeDisks regionId=cn-hangzhou diskIds=["d-bp1primary","d-bp1plain"]\n    -> ${r.statusCode} disks ${JSON.stringify(diskIds(r.body))} totalCount=${r.body.totalCount}`);
  want('describeDisks by id', diskIds(r.body), ['d-bp1plain', 'd-bp1primary']);
  r = await ecs.describeDisks(new Ecs.DescribeDisksRequest({ regionId: 'cn-hangzhou',
    tag: [new Ecs.DescribeDisksRequestTag({ key: 'dr', value: 'enabled' })] }));
  console.log(`ecs20140526 describeDisks regionId=cn-hangzhou tag=[dr=enabled]\n    -> ${r.statusCode} disks ${JSON.stringify(diskIds(r.body))} totalCount=${r.body.totalCount}`);
  want('describeDisks by tag', diskIds(r.body), ['d-bp1primary']);

  // The same filter through callApi, in a JSON body.
  let c = await callApi(api, 'DescribeDisks', '2014-05-26', { RegionId: 'cn-hangzhou' }, { Tag: [{ Key: 'dr', Value: 'enabled' }] }, 'json');
  show(c.label, c.resp.statusCode, c.resp.body);
  want('callApi DescribeDisks json body', diskIds(c.resp.body), ['d-bp1primary']);

  // An EBS pair created and started, through callApi (form body).
  const pair = (secondary) => ({ DiskId: 'd-bp1primary', SourceZoneId: 'cn-hangzhou-h', DestinationRegionId: 'cn-shanghai',
    DestinationZoneId: 'cn-shanghai-b', DestinationDiskId: secondary, PairName: 'node-interop' });
  c = await callApi(api, 'CreateDiskReplicaPair', '2021-07-30', { RegionId: 'cn-hangzhou' }, pair('d-uf6secondary'));
  show(c.label, c.resp.statusCode, c.resp.body);
  const pairId = c.resp.body.ReplicaPairId;
  if (!/^pair-/.test(pairId ?? '')) fail(`ReplicaPairId ${pairId}`);
  c = await callApi(api, 'StartDiskReplicaPair', '2021-07-30', { RegionId: 'cn-hangzhou', ReplicaPairId: pairId });
  show(c.label, c.resp.statusCode, c.resp.body);
  c = await callApi(api, 'DescribeDiskReplicaPairs', '2021-07-30', { RegionId: 'cn-hangzhou', PairIds: pairId });
  show(c.label, c.resp.statusCode, c.resp.body);
  want('pair status after start', c.resp.body.ReplicaPairs.map((p) => [p.ReplicaPairId, p.Status]), [[pairId, 'initial_syncing']]);

  // A second pair for the paired disk is refused.
  await refused(`callApi 2021-07-30 CreateDiskReplicaPair d-bp1primary -> d-uf6other (already paired)`, 403, 'OperationDenied',
    () => api.callApi(params('CreateDiskReplicaPair', '2021-07-30'),
      new OpenApi.OpenApiRequest({ query: { RegionId: 'cn-hangzhou' }, body: pair('d-uf6other') }), {}));

  // A wrong secret is refused, for both clients.
  const wrong = { ...good, accessKeySecret: 'not-the-secret' };
  await refused('ecs20140526 describeDisks with a wrong secret', 400, 'SignatureDoesNotMatch',
    () => new Ecs.default(config(wrong)).describeDisks(new Ecs.DescribeDisksRequest({ regionId: 'cn-hangzhou' })));
  await refused('callApi 2014-05-26 DescribeDisks with a wrong secret', 400, 'SignatureDoesNotMatch',
    () => new OpenApi.default(config(wrong)).callApi(params('DescribeDisks', '2014-05-26'),
      new OpenApi.OpenApiRequest({ query: { RegionId: 'cn-hangzhou' } }), {}));
  console.log('node interop: all scenarios answered as expected');
}

main().catch((err) => fail(`${err.code ?? ''} ${err.message}`));
