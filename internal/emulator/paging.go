package emulator

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// page is the window of a filtered, ordered result list one answer returns.
type page struct {
	start, end int
	number     int // PageNumber (page mode)
	size       int // PageSize or MaxResults
	nextToken  string
}

// pagingLimits are an action's documented bounds.
type pagingLimits struct {
	maxPageSize   int // PageSize upper bound
	maxMaxResults int // MaxResults upper bound
	minMaxResults int
}

// paginate chooses the paging style: NextToken or MaxResults present means token paging
// (PageNumber/PageSize are then ignored, as documented); otherwise PageNumber/PageSize paging,
// defaults 1 and 10. Token paging answers a NextToken while more results remain; page paging
// answers an empty NextToken.
func paginate(p params, total int, lim pagingLimits) (page, *apiError) {
	if p.present("NextToken") || p.present("MaxResults") {
		size, aerr := p.intParam("MaxResults", 10, lim.minMaxResults, lim.maxMaxResults)
		if aerr != nil {
			return page{}, aerr
		}
		start, end, next, aerr := tokenWindow(p, total, size)
		if aerr != nil {
			return page{}, aerr
		}
		return page{start: start, end: end, size: size, number: start/size + 1, nextToken: next}, nil
	}
	number, aerr := p.intParam("PageNumber", 1, 1, 1<<30)
	if aerr != nil {
		return page{}, aerr
	}
	size, aerr := p.intParam("PageSize", 10, 1, lim.maxPageSize)
	if aerr != nil {
		return page{}, aerr
	}
	start := min((number-1)*size, total)
	return page{start: start, end: min(start+size, total), number: number, size: size}, nil
}

// tokenWindow is NextToken paging over total results, size at a time: from the offset NextToken
// encodes (0 without one) to at most size further, with the token of the rest while any remains.
func tokenWindow(p params, total, size int) (start, end int, next string, aerr *apiError) {
	if p.present("NextToken") {
		var ok bool
		start, ok = decodeToken(p.get("NextToken"))
		if !ok || start > total {
			return 0, 0, "", invalidParam("NextToken", "the token is not one this service issued")
		}
	}
	end = min(start+size, total)
	if end < total {
		next = encodeToken(end)
	}
	return start, end, next, nil
}

const tokenPrefix = "emu1:"

func encodeToken(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + strconv.Itoa(offset)))
}

func decodeToken(tok string) (int, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	rest, ok := strings.CutPrefix(string(raw), tokenPrefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil && n >= 0
}
