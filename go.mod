module github.com/absr-autopair/absr-autopair

go 1.26.0
