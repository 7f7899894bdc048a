package alibaba

import (
	"cmp"
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ebs"

	"github.com/absr-autopair/absr-autopair/internal/cloud"
)

const (
	ebsDescribePairsMaxResults    = 500 // EBS DescribeDiskReplicaPairs accepts 1-500
	legacyDescribePairsMaxResults = 100 // the legacy maximum is not documented; stay modest
	legacyVersion                 = "2014-05-26"
)

var (
	opEBSDescribePairs    = operation{family: "ebs", name: "DescribeDiskReplicaPairs", repeatable: true}
	opEBSCreatePair       = operation{family: "ebs", name: "CreateDiskReplicaPair"}
	opEBSStartPair        = operation{family: "ebs", name: "StartDiskReplicaPair"}
	opLegacyDescribePairs = operation{family: "ecs", name: "DescribeDiskReplicaPairs", repeatable: true}
	// The legacy create and start take no ClientToken: never repeated after an ambiguous failure.
	opLegacyCreatePair = operation{family: "ecs", name: "CreateDiskReplicaPair"}
	opLegacyStartPair  = operation{family: "ecs", name: "StartDiskReplicaPair"}
)

// ebsSites: "production" lists pairs whose primary disk is in the region, "backup" those whose
// secondary is. Together they are every pair touching the region.
var ebsSites = []string{"production", "backup"}

func (c *client) ListPairs(ctx context.Context, region string) ([]cloud.Pair, error) {
	if c.legacy {
		return c.listLegacyPairs(ctx, region)
	}
	var out []cloud.Pair
	seenPair := map[string]bool{}
	for _, site := range ebsSites {
		if err := c.describeEBSPairs(ctx, region, site, "", ebsDescribePairsMaxResults, seenPair, &out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// describeEBSPairs pages through EBS DescribeDiskReplicaPairs for one site of region, optionally
// only the pairs named in pairIDs (a comma list), appending each pair not in seenPair to out.
func (c *client) describeEBSPairs(ctx context.Context, region, site, pairIDs string, pageSize int, seenPair map[string]bool, out *[]cloud.Pair) error {
	return eachPage(opEBSDescribePairs.action(), func(token string) (string, string, error) {
		resp, err := invoke(ctx, c, opEBSDescribePairs, region, func() requests.AcsRequest {
			r := ebs.CreateDescribeDiskReplicaPairsRequest()
			r.RegionId = region
			r.Site = site
			r.PairIds = pairIDs
			r.MaxResults = requests.NewInteger(pageSize)
			r.NextToken = token
			return r
		}, ebs.CreateDescribeDiskReplicaPairsResponse, func(r *ebs.DescribeDiskReplicaPairsResponse) string { return r.RequestId })
		if err != nil {
			return "", "", err
		}
		for _, rp := range resp.ReplicaPairs {
			if rp.ReplicaPairId == "" || seenPair[rp.ReplicaPairId] {
				continue
			}
			seenPair[rp.ReplicaPairId] = true
			*out = append(*out, pairFromEBS(rp))
		}
		return resp.NextToken, resp.RequestId, nil
	})
}

// PairsByID asks EBS DescribeDiskReplicaPairs for the pairs named, with Site production (the
// primary in region): one request for up to cloud.MaxPairIDs IDs, where ListPairs pages through every
// pair of the region. The legacy 2014-05-26 action takes no PairIds.
func (c *client) PairsByID(ctx context.Context, region string, ids []string) ([]cloud.Pair, error) {
	if c.legacy {
		return nil, &cloud.Error{Action: opLegacyDescribePairs.action(), Kind: cloud.KindUnsupported, Code: codeUnsupported,
			Message: "the 2014-05-26 API cannot look replica pairs up by ID (no PairIds parameter)"}
	}
	op := opEBSDescribePairs
	action := op.action()
	switch {
	case len(ids) == 0:
		return nil, nil // an empty PairIds would list every pair: nothing to ask
	case len(ids) > cloud.MaxPairIDs:
		return nil, inputError(action, "%d pair IDs; at most %d per request", len(ids), cloud.MaxPairIDs)
	}
	for _, id := range ids {
		if id == "" || strings.ContainsAny(id, ", ") {
			return nil, inputError(action, "pair ID %q is empty or contains a comma or space", id)
		}
	}
	// MaxResults covers every ID asked for: a NextToken is not expected, but would be followed.
	var out []cloud.Pair
	if err := c.describeEBSPairs(ctx, region, "production", strings.Join(ids, ","), cloud.MaxPairIDs, map[string]bool{}, &out); err != nil {
		return nil, err
	}
	return out, nil
}

func pairFromEBS(rp ebs.ReplicaPair) cloud.Pair {
	return cloud.Pair{
		ID:                  rp.ReplicaPairId,
		Name:                rp.PairName,
		Status:              rp.Status,
		SourceDiskID:        rp.SourceDiskId,
		SourceRegionID:      rp.SourceRegion,
		SourceZoneID:        rp.SourceZoneId,
		DestinationDiskID:   rp.DestinationDiskId,
		DestinationRegionID: rp.DestinationRegion,
		DestinationZoneID:   rp.DestinationZoneId,
		StatusMessage:       rp.StatusMessage,
		LastRecoverPoint:    recoverPointTime(rp.LastRecoverPoint),
		ReplicaGroupID:      rp.ReplicaGroupId,
	}
}

// recoverPointTime reads LastRecoverPoint, a Unix timestamp in seconds (as the API reference's
// examples and DescribeDiskReplicaPairProgress's RecoverPoint show). A value too large to be
// seconds is taken as milliseconds, the unit some other EBS times use; 0 means none.
func recoverPointTime(v int64) time.Time {
	switch {
	case v <= 0:
		return time.Time{}
	case v >= 1e12: // seconds would be past the year 33000
		return time.UnixMilli(v)
	}
	return time.Unix(v, 0)
}

func (c *client) CreatePair(ctx context.Context, in cloud.CreatePairInput) (string, error) {
	if c.legacy {
		return c.createLegacyPair(ctx, in)
	}
	op := opEBSCreatePair
	op.repeatable = in.ClientToken != ""
	action := op.action()
	if e := checkDirection(action, in.SourceZoneID, in.DestinationRegionID, in.DestinationZoneID); e != nil {
		return "", e
	}
	switch {
	case in.DiskID == "":
		return "", inputError(action, "primary disk ID is empty")
	case in.DestinationDiskID == "":
		return "", inputError(action, "destination disk ID is empty")
	case in.ChargeType != "" && in.ChargeType != "POSTPAY" && in.ChargeType != "PREPAY":
		return "", inputError(action, "charge type %q: want POSTPAY or PREPAY", in.ChargeType)
	case in.Bandwidth < 0 || in.RPO < 0 || in.Period < 0:
		return "", inputError(action, "bandwidth, RPO and period must not be negative")
	case in.ChargeType == "PREPAY" && in.Period == 0:
		return "", inputError(action, "a PREPAY pair needs a period (months)")
	case in.ChargeType != "PREPAY" && in.Period != 0:
		return "", inputError(action, "a period is only sent with ChargeType PREPAY")
	}
	if e := checkClientToken(action, in.ClientToken); e != nil {
		return "", e
	}
	resp, err := invoke(ctx, c, op, in.RegionID, func() requests.AcsRequest {
		r := ebs.CreateCreateDiskReplicaPairRequest()
		r.RegionId = in.RegionID
		r.DiskId = in.DiskID
		r.SourceZoneId = in.SourceZoneID
		r.DestinationRegionId = in.DestinationRegionID
		r.DestinationZoneId = in.DestinationZoneID
		r.DestinationDiskId = in.DestinationDiskID
		r.PairName = in.Name
		r.Description = in.Description
		r.ClientToken = in.ClientToken
		r.ChargeType = in.ChargeType
		if in.RPO > 0 {
			r.RPO = requests.NewInteger(in.RPO)
		}
		if in.Bandwidth > 0 {
			r.Bandwidth = requests.NewInteger(in.Bandwidth)
		}
		if in.Period > 0 {
			r.Period = requests.NewInteger(in.Period)
			r.PeriodUnit = "Month" // the only unit the API accepts
		}
		return r
	}, ebs.CreateCreateDiskReplicaPairResponse, func(r *ebs.CreateDiskReplicaPairResponse) string { return r.RequestId })
	if err != nil {
		return "", err
	}
	if resp.ReplicaPairId == "" {
		return "", missingField(action, "ReplicaPairId", resp.RequestId)
	}
	return resp.ReplicaPairId, nil
}

func (c *client) StartPair(ctx context.Context, region, pairID, clientToken string) error {
	if c.legacy {
		return c.startLegacyPair(ctx, region, pairID)
	}
	op := opEBSStartPair
	op.repeatable = clientToken != ""
	action := op.action()
	if pairID == "" {
		return inputError(action, "replica pair ID is empty")
	}
	if e := checkClientToken(action, clientToken); e != nil {
		return e
	}
	_, err := invoke(ctx, c, op, region, func() requests.AcsRequest {
		r := ebs.CreateStartDiskReplicaPairRequest()
		r.RegionId = region
		r.ReplicaPairId = pairID
		r.ClientToken = clientToken
		return r
	}, ebs.CreateStartDiskReplicaPairResponse, func(r *ebs.StartDiskReplicaPairResponse) string { return r.RequestId })
	return err
}

// The legacy ECS 2014-05-26 pair actions are not in services/ecs: they go out as CommonRequests
// and are decoded into these response types (the SDK decodes any response embedding
// *responses.BaseResponse from its JSON body).

type legacyPairsResponse struct {
	*responses.BaseResponse
	RequestId        string `json:"RequestId"`
	NextToken        string `json:"NextToken"`
	DiskReplicaPairs struct {
		DiskReplicaPair []legacyPair `json:"DiskReplicaPair"`
	} `json:"DiskReplicaPairs"`
}

// legacyPair accepts both spellings of the fields the legacy documents use inconsistently.
type legacyPair struct {
	PairId              string `json:"PairId"`
	ReplicaPairId       string `json:"ReplicaPairId"`
	PairName            string `json:"PairName"`
	Status              string `json:"Status"`
	SourceDiskId        string `json:"SourceDiskId"`
	SourceRegion        string `json:"SourceRegion"`
	SourceRegionId      string `json:"SourceRegionId"`
	SourceZoneId        string `json:"SourceZoneId"`
	DestinationDiskId   string `json:"DestinationDiskId"`
	DestinationRegion   string `json:"DestinationRegion"`
	DestinationRegionId string `json:"DestinationRegionId"`
	DestinationZoneId   string `json:"DestinationZoneId"`
}

type legacyCreatePairResponse struct {
	*responses.BaseResponse
	RequestId string `json:"RequestId"`
	PairId    string `json:"PairId"`
}

type legacyStartPairResponse struct {
	*responses.BaseResponse
	RequestId string `json:"RequestId"`
}

func pairFromLegacy(lp legacyPair) cloud.Pair {
	return cloud.Pair{
		ID:                  cmp.Or(lp.PairId, lp.ReplicaPairId),
		Name:                lp.PairName,
		Status:              lp.Status,
		SourceDiskID:        lp.SourceDiskId,
		SourceRegionID:      cmp.Or(lp.SourceRegionId, lp.SourceRegion),
		SourceZoneID:        lp.SourceZoneId,
		DestinationDiskID:   lp.DestinationDiskId,
		DestinationRegionID: cmp.Or(lp.DestinationRegionId, lp.DestinationRegion),
		DestinationZoneID:   lp.DestinationZoneId,
	}
}

// newLegacyRequest builds an ECS 2014-05-26 RPC CommonRequest with RegionId set.
func newLegacyRequest(action, region string, params map[string]string) *requests.CommonRequest {
	r := requests.NewCommonRequest()
	r.Method = requests.POST
	r.Product = "Ecs"
	r.Version = legacyVersion
	r.ApiName = action
	r.RegionId = region
	r.QueryParams["RegionId"] = region
	for k, v := range params {
		if v != "" {
			r.QueryParams[k] = v
		}
	}
	r.TransToAcsRequest()
	return r
}

func (c *client) listLegacyPairs(ctx context.Context, region string) ([]cloud.Pair, error) {
	var out []cloud.Pair
	seenPair := map[string]bool{}
	err := eachPage(opLegacyDescribePairs.action(), func(token string) (string, string, error) {
		resp, err := invoke(ctx, c, opLegacyDescribePairs, region, func() requests.AcsRequest {
			return newLegacyRequest(opLegacyDescribePairs.name, region, map[string]string{
				"MaxResults": strconv.Itoa(legacyDescribePairsMaxResults),
				"NextToken":  token,
			})
		}, newLegacyPairsResponse, func(r *legacyPairsResponse) string { return r.RequestId })
		if err != nil {
			return "", "", err
		}
		for _, lp := range resp.DiskReplicaPairs.DiskReplicaPair {
			p := pairFromLegacy(lp)
			if p.ID == "" || seenPair[p.ID] {
				continue
			}
			seenPair[p.ID] = true
			out = append(out, p)
		}
		return resp.NextToken, resp.RequestId, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *client) createLegacyPair(ctx context.Context, in cloud.CreatePairInput) (string, error) {
	action := opLegacyCreatePair.action()
	switch {
	case in.DiskID == "":
		return "", inputError(action, "primary disk ID is empty")
	case in.DestinationRegionID == "":
		return "", inputError(action, "destination region ID is empty")
	case in.DestinationDiskID == "":
		return "", inputError(action, "destination disk ID is empty")
	case in.Name == "":
		return "", inputError(action, "pair name is empty (required by the 2014-05-26 API)")
	}
	resp, err := invoke(ctx, c, opLegacyCreatePair, in.RegionID, func() requests.AcsRequest {
		// Exactly the parameters of the seed document; it has no ClientToken.
		return newLegacyRequest(opLegacyCreatePair.name, in.RegionID, map[string]string{
			"DiskId":              in.DiskID,
			"DestinationRegionId": in.DestinationRegionID,
			"DestinationDiskId":   in.DestinationDiskID,
			"PairName":            in.Name,
			"Description":         in.Description,
		})
	}, newLegacyCreatePairResponse, func(r *legacyCreatePairResponse) string { return r.RequestId })
	if err != nil {
		return "", err
	}
	if resp.PairId == "" {
		return "", missingField(action, "PairId", resp.RequestId)
	}
	return resp.PairId, nil
}

func (c *client) startLegacyPair(ctx context.Context, region, pairID string) error {
	if pairID == "" {
		return inputError(opLegacyStartPair.action(), "replica pair ID is empty")
	}
	_, err := invoke(ctx, c, opLegacyStartPair, region, func() requests.AcsRequest {
		return newLegacyRequest(opLegacyStartPair.name, region, map[string]string{"ReplicaPairId": pairID})
	}, newLegacyStartPairResponse, func(r *legacyStartPairResponse) string { return r.RequestId })
	return err
}

func newLegacyPairsResponse() *legacyPairsResponse {
	return &legacyPairsResponse{BaseResponse: &responses.BaseResponse{}}
}

func newLegacyCreatePairResponse() *legacyCreatePairResponse {
	return &legacyCreatePairResponse{BaseResponse: &responses.BaseResponse{}}
}

func newLegacyStartPairResponse() *legacyStartPairResponse {
	return &legacyStartPairResponse{BaseResponse: &responses.BaseResponse{}}
}

// checkDirection checks what a pair or a group replicates between: the primary's zone and the
// secondary's region and zone, which CreateDiskReplicaPair and CreateDiskReplicaGroup both need.
func checkDirection(action, sourceZone, destinationRegion, destinationZone string) *cloud.Error {
	switch {
	case sourceZone == "":
		return inputError(action, "primary zone ID is empty")
	case destinationRegion == "":
		return inputError(action, "destination region ID is empty")
	case destinationZone == "":
		return inputError(action, "destination zone ID is empty")
	}
	return nil
}
