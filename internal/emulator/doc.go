// Package emulator is a local stand-in for the Alibaba Cloud ECS (2014-05-26) and EBS
// (2021-07-30) OpenAPI, on one HTTP address, for tests, the demo and the `emulator` command.
// It speaks the real wire protocol, so the real SDK clients talk to it unchanged: point a client's
// Domain at Server.Addr() (the SDK's default scheme is HTTP).
//
// # Requests
//
// Routed by Version + Action; parameters come from the URL query and from a form body, GET or
// POST. Handling order: parse, route (missing Action/Version 400 MissingParameter, unknown
// Version 400 InvalidVersion, unknown Action 404 InvalidAction.NotFound), authenticate, count,
// latency, flow control and injected faults, the action, then a dropped answer. Every answer
// carries a RequestId; errors have the services' body {"RequestId","HostId","Code","Message",
// "Recommend"}.
//
// Authentication is RPC signature v1: StringToSign = METHOD&%2F&pct(sorted k=v joined by &),
// RFC 3986 escaping, over every parameter but Signature (query and body alike), with the
// request's own method; Signature = base64(HMAC-SHA1(secret+"&")). Failures: 400 Missing<Param>
// (AccessKeyId, Signature, SignatureMethod, SignatureNonce, Timestamp), 400 InvalidSignatureMethod,
// 400 InvalidTimeStamp.Format, 400 InvalidTimeStamp.Expired (more than 15 minutes off the emulator
// clock), 404 InvalidAccessKeyId.NotFound, 400 SignatureDoesNotMatch (Message ends with
// "server string to sign is:<the server's string>", as the real gateway's does, so clients must
// sanitize it), 400 MissingSecurityToken (STS credential, no token),
// 400 InvalidSecurityToken.MismatchWithAccessKey (other token), 400 InvalidSecurityToken.Malformed
// (a token sent with a permanent key), 400 SignatureNonceUsed (replay, checked last). Without
// credentials in the state the emulator accepts emulator-ak / emulator-secret / emulator-token
// (an STS-style credential: clients must send the token).
//
// Signature V3 (ACS3-HMAC-SHA256, what the Tea-based V2 SDKs and their callApi send) is chosen by
// an Authorization header starting with ACS3-, or by an x-acs-action header on a request whose
// query has neither Action nor Signature (the V1 Go SDK sends x-acs-action too). Action and
// Version come from x-acs-action and x-acs-version; parameters from the query and from an
// application/x-www-form-urlencoded or application/json body (JSON arrays become NAME.N, objects
// NAME.KEY; a body value wins over a query value). The canonical request is rebuilt from what
// arrived: METHOD, the path, the sorted RFC 3986-escaped query, each signed header as
// name:trimmed values, the signed header list and hex(SHA-256) of the body as received (so a body
// changed after signing fails even if x-acs-content-sha256 was recomputed);
// Signature = hex(HMAC-SHA256(secret, "ACS3-HMAC-SHA256\n" + hex(SHA-256(canonical request)))).
// Failures, in order: 400 MissingParameter (no x-acs-action or x-acs-version), 400
// InvalidSignatureMethod (another ACS3 algorithm), 400 IncompleteSignature (Authorization missing
// or without Credential, SignedHeaders or Signature; a signed header absent; host, x-acs-action,
// x-acs-version, x-acs-date, x-acs-signature-nonce or x-acs-content-sha256 missing or unsigned; any
// other x-acs-* header unsigned), 400 InvalidTimeStamp.Format / .Expired (x-acs-date), 404
// InvalidAccessKeyId.NotFound, 400 SignatureDoesNotMatch (Message ends with "server string to sign
// is:ACS3-HMAC-SHA256\n<hex>"), then the STS token (x-acs-security-token) and nonce
// (x-acs-signature-nonce) rules of V1 with V1's codes. Nonces are shared by both versions. The
// documentation names no codes for the structural failures: IncompleteSignature is the emulator's
// choice.
//
// # Actions and the codes chosen where the documentation is silent
//
//   - DescribeDisks: DiskIds (JSON array, <=100, else 400 InvalidDiskIds.Malformed; unknown IDs
//     left out), InstanceId, ZoneId, Category, Status, DiskType, DiskName, Tag.N.Key[/Value]
//     (all must match; no value = any value). Paging: NextToken or MaxResults (1-500, default 10)
//     selects token paging, which answers a NextToken while more remain; otherwise PageNumber /
//     PageSize (1-100, default 10), which answers an empty NextToken.
//   - CreateDisk: DiskCategory (default cloud), PerformanceLevel (cloud_essd, default PL1; else
//     400 InvalidPerformanceLevel.Malformed), Size floors PL0 1, PL1 20, PL2 461, PL3 1261, max
//     65536 (cloud_auto 1-65536; 400 InvalidDiskSize.ValueNotSupported), 404 InvalidZoneId.NotFound,
//     400 InvalidDiskName.Malformed / InvalidDescription.Malformed, Tag.N; the disk is a
//     pay-as-you-go data disk, Available at once (In_use with InstanceId of a known instance);
//     OrderId is "".
//   - TagResources / UntagResources / ListTagResources: ResourceType disk only (else 400
//     InvalidResourceType.NotFound), ResourceId.N <= 50, Tag.N <= 20 (400 InvalidTagCount, also
//     when a disk would exceed 20 tags), key rules 400 InvalidTagKey.Malformed (empty, > 128,
//     aliyun*, acs:*, http:// or https://), value rules 400 InvalidTagValue.Malformed, duplicate
//     keys 400 InvalidTagKey.Duplicated, unknown disk 404 InvalidResourceId.NotFound (nothing
//     changes). TagResources overwrites values. ListTagResources pages 50 entries per answer.
//   - EBS CreateDiskReplicaPair: RegionId (the primary's region), DiskId, SourceZoneId,
//     DestinationRegionId, DestinationZoneId, DestinationDiskId required (400 MissingParameter);
//     RPO only 900, Bandwidth only with PREPAY (10240/20480/51200/102400, default 10240),
//     PairName/Description rules, all 400 InvalidParameter. PREPAY needs Period (400
//     MissingParameter) of 1, 2, 3, 6, 12, 24, 36 or 60 and PeriodUnit Month (else 400
//     InvalidParameter). faults.postpayRefused: POSTPAY 400 InvalidParameter.ChargeType. Answer
//     {ReplicaPairId (pair-cn-...), OrderId}; status creating for faults.pairCreatingMs (0: at
//     once), then created. CreateTime is in seconds.
//   - EBS Start: created|stopped -> initial_syncing, which reads normal one second of emulator
//     time later (OneShot=true: manual_syncing, then stopped). Stop: initial_syncing, syncing,
//     normal, manual_syncing -> stopped at once. Delete: stopped, invalid, failovered -> removed.
//     Other transitions 403 OperationDenied.InvalidStatus. Start and Stop accept the region of
//     either disk, Delete only the primary's; else 404 NoSuchResource. A normal pair's
//     LastRecoverPoint reads now unless the state pins it (pinRecoveryPoint).
//   - EBS DescribeRegions: ResourceType ear (default) lists the zones of the state's disks but
//     those in unsupportedZones; lens and dbsc list none.
//   - ECS DeleteDisk: DiskId required; an unknown disk is ignored (200); a system, attached,
//     subscription or paired disk is 403 IncorrectDiskStatus.
//   - EBS DescribeDiskReplicaPairs: PairIds (comma list <= 100), Site production (default;
//     primary in RegionId) or backup (secondary in RegionId), Tag.N, paging as DescribeDisks with
//     MaxResults 1-500; flat "ReplicaPairs" with the SDK's ReplicaPair field names.
//   - Legacy 2014-05-26 CreateDiskReplicaPair / StartDiskReplicaPair / DescribeDiskReplicaPairs
//     (counted under ecs/): missing parameter 400 IncompleteParamter; 404 InvalidDiskId.NotFound;
//     403 IncorrectDiskStatus; rule violations 400 InvalidParamter (sic); answer {PairId (rp-...)};
//     inactive|paused -> active on start (ReplicaPairId, or PairId as an alias; unknown 404
//     InvalidReplicaPairId.NotFound); Describe lists pairs with either disk in RegionId unless Site
//     narrows it, wrapped "DiskReplicaPairs":{"DiskReplicaPair":[...]}. Its record fields are not
//     documented: records carry the EBS names plus PairId, SourceRegionId, DestinationRegionId.
//     Legacy primaries must be pay-as-you-go data disks. ClientToken is ignored.
//
// ABSR rules, both families, checked in this order: both disks exist (visible) in the regions and
// zones named (EBS 404 NoSuchResource; legacy 404 InvalidDiskId.NotFound); neither is in
// transition (Creating, Attaching, ...: EBS 403 OperationDenied.InvalidStatus, legacy 403
// IncorrectDiskStatus); then EBS 403 OperationDenied / legacy 400 InvalidParamter for: the same
// disk, the same zone (another zone of the region is fine), a zone in unsupportedZones, a
// category other than cloud_essd and cloud_auto, a different category, performance level or size,
// and with faults.strictPrimary a system or encrypted primary; finally 403 OperationDenied (both
// families) when either disk is already in a pair of either family. An attached secondary is
// accepted at create and refused at start with 400 OperationDenied.StandbyDeviceAttached.
//
// ClientToken (CreateDisk and EBS Create/Start/Stop/Delete; at most 64 ASCII characters): the
// same token with the same action parameters (signing parameters aside) returns the first answer
// with a new RequestId and changes nothing; with any parameter different, 400
// IdempotentParameterMismatch. Tokens are per action and remembered for faults.tokenTtlSeconds
// (0: always); failed calls record nothing unless faults.tokenRemembersFailures, when a 4xx
// refusal is answered again for the same token.
//
// # Time, faults and state
//
// The emulator clock is the wall clock plus Advance; visibleAfterMs, readyAfterMs, pair syncing,
// request timestamps and flow control all use it. Faults: latencyMs (sleep without the lock),
// qpsPerAction (token bucket per action and region, burst = max(rate, 1) whole tokens, 400 Throttling.User),
// throttlePercent (400 Throttling.User, or faults.throttleCode), unavailablePercent (503 ServiceUnavailable),
// resetPercent (TCP reset, nothing changes), lostResponsePercent (the action runs, then the
// connection is reset); drawn from a generator seeded by seed, four draws per request.
// Admin: GET /_emulator/state, GET /_emulator/calls, GET|PUT /_emulator/faults (PUT replaces the
// faults; a body without "seed" keeps the current seed).
package emulator
