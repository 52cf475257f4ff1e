module example.com/go-none

go 1.25.0
