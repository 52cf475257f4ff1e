# check=skip=JSONArgsRecommended,StageNameCasing
FROM alpine:3.20 AS Build
CMD echo hi
