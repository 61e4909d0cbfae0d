//! A static bounding-volume hierarchy of axis-aligned ECEF boxes, one per boundary piece.
//!
//! Built once per footprint (at validation) and used for three things: the self-intersection
//! check, the crossing test between two footprints (pairs of overlapping boxes) and the
//! closest-pair search (dual-tree branch and bound on box-to-box distance). A hand-rolled tree
//! rather than `rstar` because the dual-tree traversals need the nodes, and this one is 100 lines.

use crate::ellipsoid::Vec3;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Items per leaf.
const LEAF_SIZE: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Aabb {
    pub min: Vec3,
    pub max: Vec3,
}

impl Aabb {
    pub const EMPTY: Aabb = Aabb {
        min: [f64::INFINITY; 3],
        max: [f64::NEG_INFINITY; 3],
    };

    pub fn around(points: &[Vec3], margin: f64) -> Aabb {
        let mut bbox = Aabb::EMPTY;
        for p in points {
            bbox.include(*p);
        }
        bbox.expand(margin)
    }

    pub fn include(&mut self, p: Vec3) {
        for ((low, high), v) in self.min.iter_mut().zip(self.max.iter_mut()).zip(p) {
            *low = low.min(v);
            *high = high.max(v);
        }
    }

    pub fn union(self, other: Aabb) -> Aabb {
        let mut out = self;
        out.include(other.min);
        out.include(other.max);
        out
    }

    pub fn expand(self, margin: f64) -> Aabb {
        Aabb {
            min: self.min.map(|v| v - margin),
            max: self.max.map(|v| v + margin),
        }
    }

    pub fn overlaps(&self, other: &Aabb) -> bool {
        (0..3).all(|axis| self.min[axis] <= other.max[axis] && other.min[axis] <= self.max[axis])
    }

    /// Squared distance between the boxes (0 when they overlap): a lower bound for the squared
    /// distance between anything inside them.
    pub fn distance2(&self, other: &Aabb) -> f64 {
        (0..3)
            .map(|axis| {
                let gap = (other.min[axis] - self.max[axis]).max(self.min[axis] - other.max[axis]);
                gap.max(0.0).powi(2)
            })
            .sum()
    }

    fn centre(&self, axis: usize) -> f64 {
        0.5 * (self.min[axis] + self.max[axis])
    }
}

#[derive(Debug, Clone)]
struct Node {
    bbox: Aabb,
    /// Leaf: `items[start..start + count]`. Inner node: `count == 0`, children `start`, `start + 1`.
    start: u32,
    count: u32,
}

#[derive(Debug, Clone)]
pub struct Bvh {
    nodes: Vec<Node>,
    items: Vec<u32>,
    boxes: Vec<Aabb>,
}

impl Bvh {
    pub fn build(boxes: Vec<Aabb>) -> Bvh {
        assert!(!boxes.is_empty(), "a hierarchy needs at least one item");
        let mut bvh = Bvh {
            nodes: Vec::with_capacity(2 * boxes.len() / LEAF_SIZE + 1),
            items: (0..boxes.len() as u32).collect(),
            boxes,
        };
        bvh.nodes.push(Node {
            bbox: Aabb::EMPTY,
            start: 0,
            count: 0,
        });
        let n = bvh.items.len();
        bvh.split(0, 0, n);
        bvh
    }

    fn split(&mut self, node: usize, start: usize, end: usize) {
        let bbox = self.items[start..end]
            .iter()
            .fold(Aabb::EMPTY, |acc, &i| acc.union(self.boxes[i as usize]));
        self.nodes[node].bbox = bbox;
        if end - start <= LEAF_SIZE {
            self.nodes[node].start = start as u32;
            self.nodes[node].count = (end - start) as u32;
            return;
        }
        let axis = (0..3)
            .max_by(|&x, &y| (bbox.max[x] - bbox.min[x]).total_cmp(&(bbox.max[y] - bbox.min[y])))
            .unwrap_or(0);
        let mid = start + (end - start) / 2;
        let boxes = &self.boxes;
        self.items[start..end].select_nth_unstable_by(mid - start, |&i, &j| {
            boxes[i as usize]
                .centre(axis)
                .total_cmp(&boxes[j as usize].centre(axis))
        });
        let left = self.nodes.len();
        for _ in 0..2 {
            self.nodes.push(Node {
                bbox: Aabb::EMPTY,
                start: 0,
                count: 0,
            });
        }
        self.nodes[node].start = left as u32;
        self.split(left, start, mid);
        self.split(left + 1, mid, end);
    }

    fn children(&self, node: usize) -> [usize; 2] {
        let first = self.nodes[node].start as usize;
        [first, first + 1]
    }

    fn leaf_items(&self, node: usize) -> Option<&[u32]> {
        let n = &self.nodes[node];
        (n.count > 0).then(|| &self.items[n.start as usize..(n.start + n.count) as usize])
    }

    /// Calls `visit(i, j)` for every item `i` of `self` and `j` of `other` whose boxes overlap,
    /// until `visit` returns `Some`. With `other` = `self` each unordered pair comes twice.
    pub fn find_overlapping<T>(
        &self,
        other: &Bvh,
        mut visit: impl FnMut(usize, usize) -> Option<T>,
    ) -> Option<T> {
        let mut stack = vec![(0usize, 0usize)];
        while let Some((na, nb)) = stack.pop() {
            if !self.nodes[na].bbox.overlaps(&other.nodes[nb].bbox) {
                continue;
            }
            match (self.leaf_items(na), other.leaf_items(nb)) {
                (Some(items_a), Some(items_b)) => {
                    for &i in items_a {
                        for &j in items_b {
                            let (i, j) = (i as usize, j as usize);
                            if self.boxes[i].overlaps(&other.boxes[j]) {
                                if let Some(found) = visit(i, j) {
                                    return Some(found);
                                }
                            }
                        }
                    }
                }
                (Some(_), None) => stack.extend(other.children(nb).map(|c| (na, c))),
                (None, Some(_)) => stack.extend(self.children(na).map(|c| (c, nb))),
                (None, None) => {
                    for ca in self.children(na) {
                        stack.extend(other.children(nb).map(|cb| (ca, cb)));
                    }
                }
            }
        }
        None
    }

    /// The pairs `(i, j)` whose exact squared distance `distance2(i, j)` is within a factor
    /// `(1 + relative)` (plus `absolute` metres) of the smallest one, best first, at most `keep`.
    /// Dual-tree branch and bound: a pair of nodes is opened only if its box distance could still
    /// beat the bound.
    pub fn nearest_pairs(
        &self,
        other: &Bvh,
        mut distance2: impl FnMut(usize, usize) -> f64,
        relative: f64,
        absolute: f64,
        keep: usize,
    ) -> Vec<(f64, usize, usize)> {
        let bound = |best2: f64| {
            (best2.sqrt() * (1.0 + relative) + absolute)
                .powi(2)
                .max(best2)
        };
        let mut best2 = f64::INFINITY;
        let mut found: Vec<(f64, usize, usize)> = Vec::new();
        let mut heap = BinaryHeap::new();
        heap.push(Pending(
            self.nodes[0].bbox.distance2(&other.nodes[0].bbox),
            0,
            0,
        ));
        while let Some(Pending(lower2, na, nb)) = heap.pop() {
            if lower2 > bound(best2) {
                break;
            }
            match (self.leaf_items(na), other.leaf_items(nb)) {
                (Some(items_a), Some(items_b)) => {
                    for &i in items_a {
                        for &j in items_b {
                            let (i, j) = (i as usize, j as usize);
                            if self.boxes[i].distance2(&other.boxes[j]) > bound(best2) {
                                continue;
                            }
                            let d2 = distance2(i, j);
                            best2 = best2.min(d2);
                            if d2 <= bound(best2) {
                                found.push((d2, i, j));
                            }
                        }
                    }
                }
                (leaf_a, leaf_b) => {
                    let split_a = leaf_a.is_none()
                        && (leaf_b.is_some()
                            || size(&self.nodes[na].bbox) >= size(&other.nodes[nb].bbox));
                    let pairs: [(usize, usize); 2] = if split_a {
                        self.children(na).map(|c| (c, nb))
                    } else {
                        other.children(nb).map(|c| (na, c))
                    };
                    for (ca, cb) in pairs {
                        let d2 = self.nodes[ca].bbox.distance2(&other.nodes[cb].bbox);
                        if d2 <= bound(best2) {
                            heap.push(Pending(d2, ca, cb));
                        }
                    }
                }
            }
        }
        let limit = bound(best2);
        found.retain(|&(d2, _, _)| d2 <= limit);
        found.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
        found.truncate(keep);
        found
    }
}

fn size(bbox: &Aabb) -> f64 {
    (0..3).map(|axis| bbox.max[axis] - bbox.min[axis]).sum()
}

/// A node pair waiting in the branch-and-bound queue, smallest lower bound first.
struct Pending(f64, usize, usize);

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pending {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .0
            .total_cmp(&self.0)
            .then(other.1.cmp(&self.1))
            .then(other.2.cmp(&self.2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point_boxes(points: &[Vec3]) -> Vec<Aabb> {
        points.iter().map(|p| Aabb::around(&[*p], 0.0)).collect()
    }

    #[test]
    fn nearest_pairs_agree_with_all_pairs() {
        let a: Vec<Vec3> = (0..97)
            .map(|i| {
                let t = i as f64 * 0.37;
                [t.cos() * 50.0, t.sin() * 40.0, (t * 3.0).sin()]
            })
            .collect();
        let b: Vec<Vec3> = (0..61)
            .map(|i| {
                let t = i as f64 * 0.71;
                [80.0 + t.sin() * 20.0, t.cos() * 30.0, t]
            })
            .collect();
        let d2 = |i: usize, j: usize| {
            crate::ellipsoid::sub(a[i], b[j])
                .map(|v| v * v)
                .iter()
                .sum()
        };
        let tree_a = Bvh::build(point_boxes(&a));
        let tree_b = Bvh::build(point_boxes(&b));
        let best = tree_a.nearest_pairs(&tree_b, d2, 0.0, 0.0, 4);
        let brute = (0..a.len())
            .flat_map(|i| (0..b.len()).map(move |j| (i, j)))
            .map(|(i, j)| d2(i, j))
            .fold(f64::INFINITY, f64::min);
        assert_eq!(best[0].0, brute);
    }

    #[test]
    fn overlapping_pairs_agree_with_all_pairs() {
        let boxes: Vec<Aabb> = (0..200)
            .map(|i| {
                let x = (i as f64 * 7.3) % 100.0;
                let y = (i as f64 * 3.1) % 50.0;
                Aabb::around(&[[x, y, 0.0], [x + 4.0, y + 2.0, 1.0]], 0.0)
            })
            .collect();
        let tree = Bvh::build(boxes.clone());
        let mut seen = 0;
        tree.find_overlapping::<()>(&tree, |i, j| {
            if i < j {
                seen += 1;
            }
            None
        });
        let brute = (0..boxes.len())
            .flat_map(|i| (i + 1..boxes.len()).map(move |j| (i, j)))
            .filter(|&(i, j)| boxes[i].overlaps(&boxes[j]))
            .count();
        assert_eq!(seen, brute);
    }
}
