// porcupine-cmp times Porcupine (github.com/anishathalye/porcupine) on lin-kv histories written
// by glomers-bench (history.jsonl), so its times can be set beside our checker's on the same
// files. `make lin-compare` builds it against a local copy of Porcupine and runs both.
//
//	porcupine-cmp check FILE...             one line per file: ops, verdict, milliseconds
//	porcupine-cmp gen OUT OPS PROCS INFO SEED [bad]
//	                                        writes a one-key history of OPS operations by PROCS
//	                                        concurrent clients, a fraction INFO of them with
//	                                        unknown outcomes; with "bad", the last read lies
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"os"
	"strconv"
	"time"

	"github.com/anishathalye/porcupine"
)

// event is one line of history.jsonl.
type event struct {
	Index   int64           `json:"index"`
	Type    string          `json:"type"`
	F       string          `json:"f"`
	Value   json.RawMessage `json:"value"`
	Process int64           `json:"process"`
}

// input is an operation's request: its key, function and arguments (values as JSON text).
type input struct {
	Key  string
	F    string
	A, B string
}

// output is what it returned; Known is false for an unknown outcome.
type output struct {
	Value string
	Known bool
}

func text(raw json.RawMessage) string {
	var v interface{}
	if json.Unmarshal(raw, &v) != nil {
		return "?"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// pair splits [key, arg] and, for a cas, arg into [from, to].
func pair(raw json.RawMessage) (string, json.RawMessage, bool) {
	var kv []json.RawMessage
	if json.Unmarshal(raw, &kv) != nil || len(kv) != 2 {
		return "", nil, false
	}
	return text(kv[0]), kv[1], true
}

// operations reads a history file into Porcupine operations: failed operations and reads
// without a value are left out; unknown outcomes return at +infinity.
func operations(path string) ([]porcupine.Operation, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	open := map[int64]event{}
	var ops []porcupine.Operation
	add := func(inv event, done *event) {
		kind := "info"
		if done != nil {
			kind = done.Type
		}
		if kind == "fail" {
			return
		}
		value := inv.Value
		if kind == "ok" {
			value = done.Value
		}
		key, arg, ok := pair(value)
		if !ok {
			return
		}
		in := input{Key: key, F: inv.F}
		switch inv.F {
		case "read":
			if kind != "ok" {
				return
			}
		case "write":
			in.A = text(arg)
		case "cas":
			var ft []json.RawMessage
			if json.Unmarshal(arg, &ft) != nil || len(ft) != 2 {
				return
			}
			in.A, in.B = text(ft[0]), text(ft[1])
		default:
			return
		}
		op := porcupine.Operation{ClientId: int(inv.Process), Input: in, Call: inv.Index, Return: math.MaxInt64}
		out := output{}
		if kind == "ok" {
			op.Return = done.Index
			out.Known = true
			if inv.F == "read" {
				out.Value = text(arg)
			}
		}
		op.Output = out
		ops = append(ops, op)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var e event
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			continue
		}
		if e.Type == "invoke" {
			open[e.Process] = e
		} else if inv, ok := open[e.Process]; ok {
			delete(open, e.Process)
			e := e
			add(inv, &e)
		}
	}
	for _, inv := range open {
		add(inv, nil)
	}
	return ops, sc.Err()
}

// model is a compare-and-set register per key, starting at null. An operation with an unknown
// outcome returning at +infinity may be placed last, which is the same as never happening, so
// an unknown cas whose value does not match is accepted and changes nothing.
var model = porcupine.Model{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range h {
			k := op.Input.(input).Key
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		var parts [][]porcupine.Operation
		for _, k := range keys {
			parts = append(parts, byKey[k])
		}
		return parts
	},
	Init: func() interface{} { return "null" },
	Step: func(state, in, out interface{}) (bool, interface{}) {
		s, i, o := state.(string), in.(input), out.(output)
		switch i.F {
		case "read":
			return o.Value == s, s
		case "write":
			return true, i.A
		default:
			if s == i.A {
				return true, i.B
			}
			return !o.Known, s
		}
	},
	Equal: func(a, b interface{}) bool { return a == b },
}

// timeout bounds each file's check: Porcupine's answer past it is "Unknown".
const timeout = 60 * time.Second

func check(files []string) {
	for _, path := range files {
		ops, err := operations(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		start := time.Now()
		res := porcupine.CheckOperationsTimeout(model, ops, timeout)
		ms := float64(time.Since(start).Microseconds()) / 1000
		fmt.Printf("%s\t%d\t%s\t%.1f\n", path, len(ops), res, ms)
	}
}

// gen simulates a linearizable register: each completion takes effect at its return (an
// unknown one takes effect or not, at random), then writes the history as glomers-bench does.
func gen(out string, n, procs int, info float64, seed int64, bad bool) {
	rng := rand.New(rand.NewSource(seed))
	f, err := os.Create(out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	defer w.Flush()
	var state interface{}
	running := make([]*pending, procs)
	process := make([]int, procs)
	for p := range process {
		process[p] = p
	}
	index, invoked := 0, 0
	lastRead := -1
	var lines []map[string]interface{}
	emit := func(kind, f string, p int, v interface{}) {
		lines = append(lines, map[string]interface{}{"index": index, "type": kind, "f": f, "value": v, "process": process[p], "time": index * 1000, "node": "n0"})
		index++
	}
	for invoked < n || anyRunning(running) {
		p := rng.Intn(procs)
		if running[p] == nil {
			if invoked >= n {
				continue
			}
			invoked++
			switch r := rng.Intn(3); r {
			case 0:
				running[p] = &pending{"read", nil}
			case 1:
				running[p] = &pending{"write", rng.Intn(5)}
			default:
				running[p] = &pending{"cas", []int{rng.Intn(5), rng.Intn(5)}}
			}
			emit("invoke", running[p].f, p, []interface{}{0, running[p].arg})
			continue
		}
		op := running[p]
		running[p] = nil
		unknown := op.f != "read" && rng.Float64() < info
		applies := !unknown || rng.Intn(2) == 0
		switch op.f {
		case "read":
			lastRead = len(lines)
			emit("ok", "read", p, []interface{}{0, state})
		case "write":
			if applies {
				state = op.arg
			}
		case "cas":
			ft := op.arg.([]int)
			if state != nil && state.(int) == ft[0] {
				if applies {
					state = ft[1]
				}
			} else if !unknown {
				emit("fail", "cas", p, []interface{}{0, op.arg})
				continue
			}
		}
		if op.f != "read" {
			kind := "ok"
			if unknown {
				kind = "info"
			}
			emit(kind, op.f, p, []interface{}{0, op.arg})
			if unknown {
				process[p] += procs
			}
		}
	}
	if bad && lastRead >= 0 {
		v := lines[lastRead]["value"].([]interface{})
		if v[1] == nil {
			v[1] = 7
		} else {
			v[1] = 7 + v[1].(int)
		}
	}
	for _, l := range lines {
		b, _ := json.Marshal(l)
		w.Write(b)
		w.WriteString("\n")
	}
}

// pending is an operation invoked and not yet completed.
type pending struct {
	f   string
	arg interface{}
}

func anyRunning(r []*pending) bool {
	for _, p := range r {
		if p != nil {
			return true
		}
	}
	return false
}

func main() {
	if len(os.Args) >= 3 && os.Args[1] == "check" {
		check(os.Args[2:])
		return
	}
	if len(os.Args) >= 7 && os.Args[1] == "gen" {
		n, _ := strconv.Atoi(os.Args[3])
		procs, _ := strconv.Atoi(os.Args[4])
		info, _ := strconv.ParseFloat(os.Args[5], 64)
		seed, _ := strconv.ParseInt(os.Args[6], 10, 64)
		gen(os.Args[2], n, procs, info, seed, len(os.Args) > 7 && os.Args[7] == "bad")
		return
	}
	fmt.Fprintln(os.Stderr, "usage: porcupine-cmp check FILE... | gen OUT OPS PROCS INFO SEED [bad]")
	os.Exit(2)
}
