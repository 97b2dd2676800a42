"""Styles and script inlined into every report (hand-written: no library, nothing fetched at view time).

The script reads the JSON in ``#report-data`` and explains whatever the pointer is on: an edge shows its
ATE and the interventions tried, a bar its action and the Judger's words, a node its subtask. A click
pins the explanation and highlights what is connected; Escape or a click elsewhere lets go.
"""

CSS = r"""
:root{--fg:#1d232b;--mut:#5b6573;--line:#d9dee5;--bg:#fff;--soft:#f5f7fa;--bad:#c62828;--good:#2e7d32;--acc:#1565c0}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
 color:var(--fg);background:var(--bg)}
header{padding:14px 22px 8px;border-bottom:1px solid var(--line);background:var(--soft)}
header h1{margin:0;font-size:20px}
header .sub{color:var(--mut);font-size:13px}
main{padding:8px 22px 40px}
section{margin:18px 0 8px}
h2{font-size:16px;margin:0 0 6px;border-bottom:1px solid var(--line);padding-bottom:3px}
h3{font-size:14px;margin:12px 0 4px}
p.note{color:var(--mut);margin:4px 0 8px;font-size:13px}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0}
.card{border:1px solid var(--line);border-radius:6px;padding:6px 12px;min-width:118px;background:#fff}
.card .v{font-size:20px;font-weight:600}
.card .l{color:var(--mut);font-size:12px}
.card .s{color:var(--mut);font-size:11px}
.card.ok .v{color:var(--good)} .card.bad .v{color:var(--bad)}
.scroll{overflow:auto;border:1px solid var(--line);border-radius:6px;background:#fff;max-height:80vh}
svg text{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace}
svg .ax text,svg .lab{font-family:system-ui,"DejaVu Sans",sans-serif}
table{border-collapse:collapse;font-size:12.5px;margin:6px 0}
th,td{border-bottom:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}
th{background:var(--soft);position:sticky;top:0}
th.sortable{cursor:pointer} th.sortable:hover{color:var(--acc)}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:6px 0;font-size:13px}
dl.kv dt{color:var(--mut)} dl.kv dd{margin:0}
pre{background:var(--soft);border:1px solid var(--line);padding:8px;border-radius:6px;overflow:auto;
 max-height:360px;font-size:12px}
.legend{display:flex;flex-wrap:wrap;gap:14px;font-size:12.5px;color:var(--mut);margin:4px 0}
.legend svg{vertical-align:middle}
details>summary{cursor:pointer;color:var(--acc);font-size:13px}
a{color:var(--acc)}
#tip{position:fixed;display:none;z-index:10;max-width:440px;background:#1d232bf0;color:#fff;
 padding:7px 10px;border-radius:6px;font-size:12.5px;line-height:1.4;pointer-events:none;box-shadow:0 2px 8px #0004}
#tip b{color:#ffd54f} #tip .m{color:#cfd8dc} #tip .bad{color:#ff8a80} #tip .good{color:#a5d6a7}
#tip table{margin:3px 0;font-size:12px} #tip td{border:0;padding:0 8px 0 0;color:#fff}
.node rect{stroke:#37474f;stroke-width:1}
.node.failed rect,.node.lost rect{stroke:var(--bad);stroke-width:2}
.node.unfinished rect{stroke-dasharray:3 2}
.node text{pointer-events:none;font-size:11px}
.node text.d{font-size:9.5px;opacity:.85}
.node{cursor:pointer}
.edge path.v{fill:none;stroke:#78909c;stroke-width:1.4}
.edge.pruned path.v{stroke:var(--bad);stroke-dasharray:5 4;stroke-width:1.4}
.edge.added path.v{stroke:var(--good);stroke-width:2.4}
.edge.madeup.kept path.v{stroke:#ef6c00}
.edge path.hit{fill:none;stroke:transparent;stroke-width:10;cursor:pointer}
.edge .x{fill:var(--bad);font-size:12px;font-weight:bold;pointer-events:none}
.focus .edge:not(.hl),.focus .node:not(.hl){opacity:.18}
.focus .bar:not(.hl){opacity:.3}
.edge.hl path.v{stroke-width:3}
.node.hl rect{stroke-width:2.5;stroke:#000}
.bar{cursor:pointer}
.bar.refused{stroke:var(--bad);stroke-width:1.2}
.bar.hl{stroke:#000;stroke-width:1.5}
.refmark{fill:var(--bad);cursor:pointer}
.cp{stroke:#fff;stroke-width:.6;cursor:pointer}
.row .bg{fill:url(#idle)}
.ax line,.ax path{stroke:#90a4ae} .ax text{fill:var(--mut);font-size:11px}
.mark{stroke-width:1.6} .mark.ms{stroke:#000} .mark.lb{stroke:var(--acc);stroke-dasharray:6 4}
.mark.tm{stroke:#8d6e63;stroke-dasharray:2 3}
.marklab{font-size:11px}
.seglab{font-size:9.5px;fill:#fff;pointer-events:none}
.chart .barc{cursor:pointer}
.chart .err{stroke:#263238;stroke-width:1.2;fill:none}
table.summary td{white-space:nowrap} table.summary .m{color:var(--mut);font-size:11.5px}
.chart .grid{stroke:#eceff1}
.chart .title{font-size:12.5px;font-weight:600;fill:var(--fg)}
.ok{color:var(--good)} .bad{color:var(--bad)}
.figs{display:grid;grid-template-columns:repeat(auto-fit,minmax(600px,1fr));gap:0 18px}
.figs section{margin:6px 0}
input.filter{font:inherit;padding:2px 6px;margin:4px 0;width:280px}
"""

JS = r"""
(function(){
'use strict';
var D = JSON.parse(document.getElementById('report-data').textContent || '{}');
var tip = document.getElementById('tip');
var pinned = null;
var ENT={'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'};
function esc(s){return String(s==null?'':s).replace(/[&<>"]/g,function(c){return ENT[c];});}
function num(x,d){return (x==null||x!==x)?'–':(+x).toFixed(d==null?2:d);}
function row(k,v){return '<tr><td class=m>'+esc(k)+'</td><td>'+v+'</td></tr>';}
function edgeHtml(e){
  var fate={kept:'kept',pruned:'<span class=bad>pruned by the refiner</span>',
            added:'<span class=good>added by repair</span>'}[e.fate]||e.fate;
  var h='<b>'+esc(e.a)+' → '+esc(e.b)+'</b><table>'+row('fate',fate)+row('origin',esc(e.origin));
  if(e.truth) h+=row('reference plan',esc(e.truth));
  if(e.ate!=null||e.fate!=='added') h+=row('ATE',num(e.ate))+row('P(holds)',num(e.p));
  h+='</table>';
  if(e.iv&&e.iv.length){h+='<div class=m>interventions tried:</div><table>';
    e.iv.forEach(function(v){h+=row(v[0],'effect '+num(v[1]));});h+='</table>';}
  else if(e.fate!=='added'){h+='<div class=m>no interventions recorded</div>';}
  if(e.note) h+='<div class=m>'+esc(e.note)+'</div>';
  if(e.fate==='added'){
    h+='<div>revealed by the Judger: <span class=bad>'+esc(e.reason||'(no reason recorded)')+'</span></div>';
    if(e.facts&&e.facts.length) h+='<div class=m>refusal: '+esc(e.facts.join(', '))+'</div>';
    if(e.rev!=null&&D.acts){var a=D.acts[e.rev];
      h+='<div class=m>refused action: '+esc(a[0])+' '+esc(a[5])+' at '+num(a[2],1)+' s</div>';}
  }
  return h;
}
function nodeHtml(id){
  var n=(D.nodes||{})[id]||{};
  var h='<b>'+esc(id)+'</b>';
  if(n.desc) h+='<div>'+esc(n.desc)+'</div>';
  h+='<table>';
  if(n.kind) h+=row('kind',esc(n.kind));
  if(n.target) h+=row('target',esc(n.target)+(n.count!=null?' × '+esc(n.count):''));
  var st=n.status==='done'?'<span class=good>done</span>':'<span class=bad>'+esc(n.status)+'</span>';
  h+=row('status',n.status?st:'not finished');
  if(n.agent) h+=row('by',esc(n.agent));
  if(n.attempts) h+=row('attempts',n.attempts);
  if(n.work) h+=row('work',num(n.work,1)+' s');
  if(n.est!=null) h+=row('estimate',num(n.est,1)+' s');
  if(n.line!=null) h+=row('production line',n.line+1);
  return h+'</table>';
}
function actHtml(i){
  var a=D.acts[i];
  var h='<b>'+esc(a[0])+'</b> · '+esc(a[1])+'<div>'+esc(a[5])+(a[6]?' <span class=m>('+esc(a[6])+')</span>':'')+
    '</div><table>'+row('start',num(a[2],2)+' s')+row('duration',num(a[3],2)+' s');
  if(a[9]>1) h+=row('actions',a[9]+' merged');
  h+='</table>';
  if(!a[4]) h+='<div class=bad>refused by the Judger'+(a[8]?' ('+esc(a[8])+')':'')+': '+esc(a[7])+'</div>';
  else if(a[7]) h+='<div class=m>'+esc(a[7])+'</div>';
  return h;
}
function cpHtml(i){
  var c=D.cp[i], n=(D.nodes||{})[c.id]||{};
  return '<b>critical path '+(i+1)+'/'+D.cp.length+': '+esc(c.id)+'</b><table>'+row('starts',num(c.t,1)+' s')+
    row('work',num(c.d,1)+' s')+'</table><div class=m>the heaviest chain of the final graph; its length, '+
    num(D.cpTotal,1)+' s, bounds any schedule</div>';
}
function html(el){
  var k=el.getAttribute('data-k');
  if(k==='e') return edgeHtml(D.edges[+el.getAttribute('data-i')]);
  if(k==='n') return nodeHtml(el.getAttribute('data-id'));
  if(k==='a') return actHtml(+el.getAttribute('data-i'));
  if(k==='c') return cpHtml(+el.getAttribute('data-i'));
  return el.getAttribute('data-tip');
}
function place(ev){
  var w=tip.offsetWidth,h=tip.offsetHeight,x=ev.clientX+14,y=ev.clientY+14;
  if(x+w>window.innerWidth-4) x=Math.max(4,ev.clientX-w-14);
  if(y+h>window.innerHeight-4) y=Math.max(4,ev.clientY-h-14);
  tip.style.left=x+'px';tip.style.top=y+'px';
}
function clear(){
  document.querySelectorAll('.hl').forEach(function(x){x.classList.remove('hl');});
  document.querySelectorAll('.focus').forEach(function(x){x.classList.remove('focus');});
}
function light(sel){document.querySelectorAll(sel).forEach(function(x){x.classList.add('hl');});}
function q(s){return '"'+String(s).replace(/["\\]/g,'\\$&')+'"';}
function highlight(el){
  clear();
  var k=el.getAttribute('data-k'), ids=[];
  if(k==='n') ids=[el.getAttribute('data-id')];
  else if(k==='e'){var e=D.edges[+el.getAttribute('data-i')];ids=[e.a,e.b];el.classList.add('hl');}
  else if(k==='a') ids=[D.acts[+el.getAttribute('data-i')][1]];
  else if(k==='c') ids=[D.cp[+el.getAttribute('data-i')].id];
  else return;
  ids.forEach(function(id){
    light('.node[data-id='+q(id)+']');light('.bar[data-s='+q(id)+']');
    if(k==='n'){light('.edge[data-a='+q(id)+']');light('.edge[data-b='+q(id)+']');}
  });
  document.querySelectorAll('svg.graph,svg.gantt').forEach(function(s){s.classList.add('focus');});
}
function show(el,ev){var h=html(el);if(!h) return;tip.innerHTML=h;tip.style.display='block';place(ev);}
function hide(){tip.style.display='none';}
document.addEventListener('mouseover',function(ev){
  if(pinned) return;
  var el=ev.target.closest?ev.target.closest('[data-k],[data-tip]'):null;
  if(!el){hide();clear();return;}
  show(el,ev);highlight(el);
});
document.addEventListener('mousemove',function(ev){if(!pinned&&tip.style.display==='block') place(ev);});
document.addEventListener('click',function(ev){
  if(ev.target.closest&&ev.target.closest('a,button,th,input,summary')) return;
  var el=ev.target.closest?ev.target.closest('[data-k],[data-tip]'):null;
  if(el&&pinned!==el){pinned=el;show(el,ev);highlight(el);}
  else{pinned=null;hide();clear();}
});
document.addEventListener('keydown',function(ev){if(ev.key==='Escape'){pinned=null;hide();clear();}});
document.querySelectorAll('th.sortable').forEach(function(th){
  th.addEventListener('click',function(){
    var tb=th.closest('table').tBodies[0],i=Array.prototype.indexOf.call(th.parentNode.children,th);
    var dir=th.getAttribute('data-dir')==='1'?-1:1;th.setAttribute('data-dir',dir===1?'1':'-1');
    var rows=Array.prototype.slice.call(tb.rows);
    function key(r){var c=r.cells[i],v=c.getAttribute('data-v');if(v==null)v=c.textContent;
      var n=parseFloat(v);return isNaN(n)?v:n;}
    rows.sort(function(a,b){var x=key(a),y=key(b);return (x<y?-1:x>y?1:0)*dir;});
    rows.forEach(function(r){tb.appendChild(r);});
  });
});
document.querySelectorAll('input.filter').forEach(function(inp){
  inp.addEventListener('input',function(){
    var t=document.getElementById(inp.getAttribute('data-for')),s=inp.value.toLowerCase();
    Array.prototype.forEach.call(t.tBodies[0].rows,function(r){r.style.display=r.textContent.toLowerCase().indexOf(s)>=0?'':'none';});
  });
});
})();
"""
