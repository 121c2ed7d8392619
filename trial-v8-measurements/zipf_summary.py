import sys, json
rows=[json.loads(l) for l in open("/tmp/v8m/zipf.out") if l.startswith("{")]
def check(d):
    a3,a4=d["300"],d["400"]; why=[]
    for k,a in (("300",a3),("400",a4)):
        if not 0.8<=a["alpha"]<=1.4: why.append(f"alpha {a['alpha']} at {k}")
        if not (a["R_exp"]>0 and a["p_exp"]<0.05): why.append(f"exp at {k}")
        if a["R_ln"]<0 and a["p_ln"]<0.05: why.append(f"lognormal better at {k} (R {a['R_ln']}, p {a['p_ln']})")
    if abs(a3["alpha"]-a4["alpha"])>0.15: why.append(f"alpha moves from {a3['alpha']} to {a4['alpha']}")
    dec = min(a3["decades"],a4["decades"])
    return why, dec
for growth in (None, 0.0):
    n=ok=0
    print("== growth", growth)
    for d in rows:
        if d["growth"]!=growth: continue
        why, dec = check(d); n+=1; ok+= not why
        print(d["run"], "PASS" if not why else why, "decades %.2f" % dec, "n", d["300"]["n"], d["400"]["n"], "dem", d["demography"])
    print("pass", ok, "of", n)
