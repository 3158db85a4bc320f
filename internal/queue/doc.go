// Package queue runs background work on asynq (Redis): the worker process,
// its task handlers and its periodic jobs. Postgres stays the record of
// everything; Redis only says when to look.
package queue
