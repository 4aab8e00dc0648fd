#!/usr/bin/env bash
# Writes the seed corpus of each harness to tests/fuzz/corpus/NAME/: a
# handful of small valid inputs, from which the fuzzer mutates. Run it
# again after changing an input format; the files are committed.
set -euo pipefail
dir=$(cd "$(dirname "$0")" && pwd)/corpus
rm -rf "$dir"

# seed NAME FILE PRINTF-FORMAT: one seed, bytes given as printf escapes.
seed() {
	mkdir -p "$dir/$1"
	printf -- "$3" >"$dir/$1/$2"
}

# msgpack: a byte n, n bytes of path, then msgpack.
ship='\x82\xa4port\xa4Oslo\xa5cargo\x2a'
seed msgpack map "\x00$ship"
seed msgpack path "\x05cargo$ship"
seed msgpack nested '\x07pos.lat\x81\xa3pos\x81\xa3lat\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00'
seed msgpack kinds '\x00\x99\xc0\xc3\xc2\xd0\x80\xcd\x01\x00\xc4\x02\x01\x02\xd4\x01\x05\xca\x3d\xcc\xcc\xcd\xa2\xc3\xa9'
seed msgpack two "\x00$ship\x82\xa4port\xa6Bergen\xa4crew\x05"
seed msgpack keys '\x00\x82\x01\xa3one\xc0\x92\x01\x02'

# packf: the format, a NUL, then the bytes the arguments are made of.
seed packf pairs 'port:s cargo:i\x00\x04Oslo\x01\x2a\x00\x00\x00'
seed packf nested '{a:[s S B] b:{c:I d:d}} *:n\x00\x03abc\x02hi'
seed packf array '[i u U b n m]\x00\x01\x02\x03\x04\x05\x06\x07\x08'
seed packf key '*:s, x: [ ]\x00\x03key\x03val'
seed packf empty ''

# record: stored records (docs/FORMAT.md), version 1 and 2, then a
# pending timer.
v1='\x9a\x01\xa4ship\xa6Gloria\x01\xcf\x00\x00\x00\x00\x00\x00\x00\x07'
v1+='\xd3\x18\xe9\x3b\x6d\x2b\x43\x80\x00\xa6depart\x81\xa5cargo\x2a'
seed record v1 "$v1"'\xc0\xcf\x01\x02\x03\x04\x05\x06\x07\x08'
cause='\x94\xa4port\xa4Oslo\x03\x05'
seed record cause '\x9a\x01\xa1t\xa1i\x02\xcf\x00\x00\x00\x00\x00\x00\x00\x09\x00\xa1e\xc0'"$cause"'\xcf\x00\x00\x00\x00\x00\x00\x00\x01'
seed record v2 '\x9c\x02\xa1t\xa1i\x01\xcf\x00\x00\x00\x00\x00\x00\x00\x01\xff\xa1e\x91\x01\xc0\xcf\x00\x00\x00\x00\x00\x00\x00\x00\x02\x03'
seed record timer '\x97\xd3\x18\xe9\x3b\x6d\x2b\x43\x80\x00\xa4ship\xa6Gloria\xa5retry\xc0\x03\x07'

# index: a byte n, an n-byte key, then the value.
seed index agents '\x13ship\x00Gloria\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x07\x18\xe9\x3b\x6d\x2b\x43\x80\x00'
seed index timers '\x11ship\x00Gloria\x00retry'
seed index odd '\x0ca/b\\\x00\xff\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01'

# json: JSON texts.
seed json object '{"port":"Oslo","cargo":42,"pos":{"lat":59.9,"lon":10.7}}'
seed json array '[null,true,false,-0,1e300,-9223372036854775808,18446744073709551616,0.1]'
seed json strings '["\\u00e9\\ud83d\\ude00","tab\\t","\\"q\\"","caf\xc3\xa9"]'
seed json nested ' [[[{"a":[{}]}]]] '

# import: JSON Lines as `hindsight export` writes them (docs/CLI.md).
rec='{"gseq":3,"seq":1,"time_ns":1795341602000000000,"time":"2026-11-22T10:00:02.000000000Z","type":"audit","id":"log","event":"saw","body":{"from":"a","n":3},"cause":{"type":"counter","id":"a","seq":2,"gseq":2},"state_hash":"9829e5893954b799"}'
seed import record "$rec"
seed import snapshot '{"gseq":1,"seq":1,"time_ns":5,"type":"counter","id":"a","event":"add","body":null,"cause":null,"state_hash":"0000000000000001","event_version":2,"state_version":1}\n{"snapshot":{"type":"counter","id":"a","seq":1,"state":"g6FuA6RhZGRzAqVsYWJlbKVmaXJzdA=="}}'
seed import time '{"gseq":9,"seq":4,"time":"2026-11-22T12:00:00.5+02:00","type":"t","id":"i","event":"e","body":[1,2],"cause":null,"state_hash":"FFFFFFFFFFFFFFFF"}'

# time: CLI times.
seed time utc '2026-11-22T10:00:00Z'
seed time offset '2026-11-22T12:00:00.5+02:00'
seed time nanos '1795341602000000000'
seed time negative '-5'
seed time lower '1970-01-01 00:00:00.123456789z'

# args: NUL-separated arguments after `hindsight log`.
seed args agent 'DB\x00--agent\x00ship/Gloria\x00--since\x002026-11-22T10:00:00Z\x00-n\x0010'
seed args short 'DB\x00-at/i\x00--type=t\x00--from\x005\x00--to\x009\x00-r'
seed args event 'DB\x00-e\x00arrive\x00--until=-1\x00--\x00-x'
seed args address 'ship/Gloria/with/slashes'
